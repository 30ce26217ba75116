// Copyright The mra Authors.
//
// File: src/grpc/peer_table_for_testing.h
// -----------------------------------------------------------------------------
// Test hook into the process-wide table of verified peers that
// mra/grpc/credentials.cc keeps (see mra/grpc/credentials.h). Tests only.

#pragma once

namespace mra::grpc::internal {

// ForgetAllPeersForTesting empties the table, as if every entry had been
// evicted by newer peers.
void ForgetAllPeersForTesting();

}  // namespace mra::grpc::internal
