// Connection pool settings of a Database (store::DatabaseOptions::pool).
//
//   store::DatabaseOptions o;
//   o.url = "postgres://app@127.0.0.1:5432/app";
//   o.pool.pool_max = 20;                                   // or ?pool_max=20 in the URL
//   o.pool.acquire_timeout = std::chrono::milliseconds(500);
//   auto db = store::Database::Open(o);
//
// Every field is also a URL parameter (docs/configuration.md lists them with units and defaults).
#pragma once

#include <chrono>

namespace daira::inline v0::store {

struct PoolOptions {
  int pool_min = 10;  // connections kept open per endpoint (Postgres). SQLite: ignored.
  int pool_max = 50;  // hard cap per endpoint (Postgres). SQLite: 1 writer + `readers`.
  std::chrono::milliseconds acquire_timeout{5000};  // waiting longer → ResourceExhausted
  std::chrono::milliseconds idle_timeout{60000};    // idle connections above pool_min close after this
  std::chrono::milliseconds validate_after{5000};   // a connection idle this long is pinged before lending
  std::chrono::milliseconds slow_statement{100};    // statements slower than this are logged and counted
  // A connection open longer than this is closed when it comes back (0: no limit), so connections
  // re-resolve hosts and rebalance after a failover. Default 30 min.
  std::chrono::milliseconds max_lifetime{1800000};
};

}  // namespace daira::inline v0::store
