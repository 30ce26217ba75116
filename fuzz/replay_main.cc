// Replays a libFuzzer corpus through LLVMFuzzerTestOneInput without libFuzzer,
// so every ordinary (and sanitizer) test run exercises the corpus. Each
// argument is a file or a directory of files. Fails if no input was found.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int RunFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  std::vector<uint8_t> data(bytes.begin(), bytes.end());
  // Copy to an exact-size heap buffer so ASan sees reads past the end.
  auto* buf = new uint8_t[data.size()];
  std::copy(data.begin(), data.end(), buf);
  int rc = LLVMFuzzerTestOneInput(buf, data.size());
  delete[] buf;
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  size_t num_inputs = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path arg(argv[i]);
    if (std::filesystem::is_directory(arg)) {
      for (const auto& entry :
           std::filesystem::recursive_directory_iterator(arg)) {
        if (!entry.is_regular_file()) {
          continue;
        }
        RunFile(entry.path());
        ++num_inputs;
      }
    } else if (std::filesystem::is_regular_file(arg)) {
      RunFile(arg);
      ++num_inputs;
    } else {
      std::fprintf(stderr, "replay: no such corpus: %s\n", argv[i]);
      return 1;
    }
  }
  if (num_inputs == 0) {
    std::fprintf(stderr, "replay: corpus is empty\n");
    return 1;
  }
  std::printf("replay: %zu inputs ran without a crash\n", num_inputs);
  return 0;
}
