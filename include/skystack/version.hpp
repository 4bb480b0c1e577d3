// SPDX-License-Identifier: MIT
#pragma once

#define SKYSTACK_VERSION_MAJOR 0
#define SKYSTACK_VERSION_MINOR 1
#define SKYSTACK_VERSION_PATCH 0

namespace skystack {
/// Library version as "major.minor.patch".
inline constexpr char const version_string[] = "0.1.0";
} // namespace skystack
