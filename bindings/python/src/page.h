// Page: one page of a keyset-paginated list as Python sees it — iterable over its items, with
// next_cursor / has_more, and iterators that follow next_cursor transparently:
//
//   page = p.feed.home(bob.id, limit=20)
//   for post in page: ...                       # this page's items
//   for post in page.iter_all(): ...            # this page, then every following page
//   for pg in page.pages(): ...                 # this page and every following page
//
// A page keeps the fetch that made it (service, arguments, limit) so the next page needs only the
// cursor. Fetching holds the platform's shared lock and releases the GIL like every call.
#pragma once

#include <pybind11/pybind11.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "common.h"
#include "daira/query/keyset.h"
#include "transaction.h"

namespace daira::python {

struct PyPage {
  py::list items;
  std::string next_cursor;
  std::string prev_cursor;
  bool has_more = false;
  // Fetches the page at a cursor of the same list (GIL held when called).
  std::function<PyPage(const std::string&)> fetch;
};

// Runs `fetch(Platform&, cursor)` (returning StatusOr<query::Page<T>>) through `core` and wraps the
// result; the returned page can fetch its successors the same way.
template <typename Fetch>
PyPage FetchPage(const CorePtr& core, Fetch fetch, const std::string& cursor) {
  auto page = core->Call([&](Platform& p) { return fetch(p, cursor); });
  PyPage out;
  for (auto& item : page.items) out.items.append(py::cast(std::move(item)));
  out.next_cursor = std::move(page.next_cursor);
  out.prev_cursor = std::move(page.prev_cursor);
  out.has_more = page.has_more;
  out.fetch = [core, fetch](const std::string& c) { return FetchPage(core, fetch, c); };
  return out;
}

// FetchPage for a list call that may run inside a transaction: `fetch(Platform&, const RequestContext&,
// cursor)`; with `tx`, this page and the pages after it run inside that transaction (and raise
// FailedPrecondition once it is over).
template <typename Fetch>
PyPage FetchPageIn(const CorePtr& core, const std::shared_ptr<TxState>& tx, Fetch fetch, const std::string& cursor) {
  auto page = CallIn(core, tx.get(), [&](Platform& p, const RequestContext& ctx) { return fetch(p, ctx, cursor); });
  PyPage out;
  for (auto& item : page.items) out.items.append(py::cast(std::move(item)));
  out.next_cursor = std::move(page.next_cursor);
  out.prev_cursor = std::move(page.prev_cursor);
  out.has_more = page.has_more;
  out.fetch = [core, tx, fetch](const std::string& c) { return FetchPageIn(core, tx, fetch, c); };
  return out;
}

}  // namespace daira::python
