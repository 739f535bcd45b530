// MemoryRealtimeState: backends::RealtimeState in process (memory:). Thread-safe (one mutex).
#pragma once

#include <memory>

#include "backends/realtime_state.h"

namespace daira::inline v0::backends::memory {

std::unique_ptr<RealtimeState> NewMemoryRealtimeState();

}  // namespace daira::inline v0::backends::memory
