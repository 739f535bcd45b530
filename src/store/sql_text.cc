#include "daira/store/sql_text.h"

#include <atomic>
#include <utility>

namespace daira::inline v0::store {

namespace {
std::atomic<uint64_t> next_sql_text_id{1};
}  // namespace

SqlText::SqlText(std::string sql)
    : sql_(std::move(sql)), id_(next_sql_text_id.fetch_add(1, std::memory_order_relaxed)) {}

}  // namespace daira::inline v0::store
