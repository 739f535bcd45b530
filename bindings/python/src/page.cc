// Page and its two iterators (pages(), iter_all()); see page.h.
#include "page.h"

#include <pybind11/stl.h>

#include <optional>

#include "module.h"

namespace daira::python {
namespace {

// Walks pages forward from a first one, following next_cursor until it is empty.
class PageWalker {
 public:
  explicit PageWalker(PyPage first) : current_(std::move(first)) {}

  // The next page, or nullopt at the end.
  std::optional<PyPage> NextPage() {
    if (!started_) {
      started_ = true;
      return current_;
    }
    if (current_.next_cursor.empty() || !current_.fetch) return std::nullopt;
    current_ = current_.fetch(current_.next_cursor);
    return current_;
  }

 private:
  PyPage current_;
  bool started_ = false;
};

class PagesIterator {
 public:
  explicit PagesIterator(PyPage first) : walker_(std::move(first)) {}
  PyPage Next() {
    std::optional<PyPage> p = walker_.NextPage();
    if (!p.has_value()) throw py::stop_iteration();
    return *std::move(p);
  }

 private:
  PageWalker walker_;
};

class ItemsIterator {
 public:
  explicit ItemsIterator(PyPage first) : walker_(std::move(first)) {}
  py::object Next() {
    while (!items_.has_value() || index_ >= py::len(*items_)) {
      std::optional<PyPage> p = walker_.NextPage();
      if (!p.has_value()) throw py::stop_iteration();
      items_ = p->items;
      index_ = 0;
    }
    return (*items_)[index_++];
  }

 private:
  PageWalker walker_;
  std::optional<py::list> items_;
  size_t index_ = 0;
};

}  // namespace

void RegisterPage(py::module_& m) {
  py::class_<PagesIterator>(m, "_PagesIterator")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &PagesIterator::Next);
  py::class_<ItemsIterator>(m, "_ItemsIterator")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &ItemsIterator::Next);

  py::class_<PyPage>(m, "Page",
                     "One page of a list, newest (or best) first. Iterating gives this page's items;\n"
                     "iter_all() continues through every following page, pages() yields the pages.")
      .def_readonly("items", &PyPage::items, "This page's items (a list).")
      .def_readonly("next_cursor", &PyPage::next_cursor, "Cursor of the following page; '' when none.")
      .def_readonly("prev_cursor", &PyPage::prev_cursor, "Cursor walking back before this page; '' on the first.")
      .def_readonly("has_more", &PyPage::has_more, "More rows exist in the direction this page was fetched.")
      .def("__iter__", [](const PyPage& p) { return p.items.attr("__iter__")(); })
      .def("__len__", [](const PyPage& p) { return py::len(p.items); })
      .def("__getitem__", [](const PyPage& p, py::object i) { return p.items[i]; })
      .def(
          "next_page",
          [](const PyPage& p) -> std::optional<PyPage> {
            if (p.next_cursor.empty() || !p.fetch) return std::nullopt;
            return p.fetch(p.next_cursor);
          },
          "The following page, or None when this is the last one.")
      .def(
          "pages", [](const PyPage& p) { return PagesIterator(p); },
          "An iterator over this page and every following page (fetched lazily).")
      .def(
          "iter_all", [](const PyPage& p) { return ItemsIterator(p); },
          "An iterator over the items of this page and every following page (fetched lazily).")
      .def("__repr__", [](const PyPage& p) {
        return "Page(items=" + std::to_string(py::len(p.items)) + ", has_more=" + (p.has_more ? "True" : "False") +
               ", next_cursor=" + Repr(py::str(p.next_cursor)) + ")";
      });
}

}  // namespace daira::python
