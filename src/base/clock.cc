#include "mra/base/clock.h"

#include "absl/time/civil_time.h"
#include "absl/time/clock.h"

namespace mra {
namespace {

class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

const Clock& Clock::Real() {
  static const RealClock* const clock = new RealClock();
  return *clock;
}

std::string FormatRfc3339Utc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::optional<absl::Time> ParseRfc3339(std::string_view text) {
  // "YYYY-MM-DDTHH:MM:SSZ": digits where digits belong, fields in range (a
  // day that does not exist in its month is left to absl, which refuses it).
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  bool fast = text.size() == kShape.size();
  for (size_t i = 0; fast && i < text.size(); ++i) {
    fast = kShape[i] == 'd' ? text[i] >= '0' && text[i] <= '9'
                            : text[i] == kShape[i];
  }
  if (fast) {
    auto num = [&](size_t at, size_t len) {
      int v = 0;
      for (size_t i = at; i < at + len; ++i) {
        v = v * 10 + (text[i] - '0');
      }
      return v;
    };
    const int year = num(0, 4);
    const int month = num(5, 2);
    const int day = num(8, 2);
    const int hour = num(11, 2);
    const int minute = num(14, 2);
    const int second = num(17, 2);
    const absl::CivilDay civil_day(year, month, day);
    if (civil_day.year() == year && civil_day.month() == month &&
        civil_day.day() == day && hour <= 23 && minute <= 59 && second <= 59) {
      return absl::FromCivil(
          absl::CivilSecond(year, month, day, hour, minute, second),
          absl::UTCTimeZone());
    }
  }
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full,
                       absl::string_view(text.data(), text.size()), &t,
                       &err)) {
    return std::nullopt;
  }
  return t;
}

}  // namespace mra
