// SHA-256 (FIPS 180-4), for the input-file hashes in a run's manifest.
#pragma once

#include <string>
#include <string_view>

namespace switchcost::sim {

// Lower-case hex digest of the bytes.
std::string sha256_hex(std::string_view bytes);

}  // namespace switchcost::sim
