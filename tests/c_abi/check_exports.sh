#!/usr/bin/env bash
# libdaira_c.so must export the C ABI (daira_* functions) and nothing else: no C++ symbol of daira,
# Abseil or the C++ runtime may leak into a host process through it.
#   check_exports.sh <path to libdaira_c.so>
set -euo pipefail
lib="$1"
# Defined dynamic symbols, minus the version node the version script adds.
symbols=$(nm -D --defined-only "$lib" | awk '$2 != "A" { print $3 }' | sed 's/@.*//')
[[ -n "$symbols" ]] || { echo "no symbols exported by $lib" >&2; exit 1; }
bad=$(grep -v '^daira_' <<<"$symbols" || true)
if [[ -n "$bad" ]]; then
  echo "$lib exports symbols outside daira_*:" >&2
  echo "$bad" | head -20 >&2
  exit 1
fi
for required in daira_version daira_free daira_error_free daira_platform_open daira_platform_close \
    daira_accounts_register daira_social_follow daira_content_create_post daira_feed_home \
    daira_follows_get daira_sessions_get daira_user_profiles_get daira_search_videos \
    daira_transaction_begin daira_transaction_commit daira_transaction_rollback \
    daira_bus_enqueue daira_bus_next daira_bus_complete daira_bus_fail daira_bus_replay daira_bus_repeatable_add \
    daira_bus_next_batch daira_bus_finish_many daira_bus_finish_many_and_next_batch \
    daira_realtime_subscribe daira_subscription_next daira_subscription_fd daira_subscription_close \
    daira_realtime_publish daira_presence_get_many daira_typing_start \
    daira_cache_get daira_cache_set daira_cache_delete daira_cache_mget daira_rate_limit_check \
    daira_vectors_get daira_vectors_put daira_vectors_delete \
    daira_blob_put daira_blob_get daira_blob_delete daira_blob_exists daira_blob_list daira_blob_url \
    daira_users_get_by_id daira_users_get_by_id_into daira_profiles_stats_by_id daira_profiles_stats_by_id_into; do
  grep -qx "$required" <<<"$symbols" || { echo "$lib does not export $required" >&2; exit 1; }
done
echo "c_abi.exports: $(wc -l <<<"$symbols") symbols, all daira_*"
