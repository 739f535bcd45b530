// Status → exception: every non-OK absl::Status leaving daira becomes an instance of the matching
// daira.<Code> class (defined in daira/errors.py so it can also inherit a builtin), carrying the code,
// the message, the field at fault, every validation violation and the SQLSTATE when present.
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "common.h"
#include "daira/core/status.h"
#include "daira/core/validation.h"
#include "daira/store/connection.h"
#include "module.h"

namespace daira::python {
namespace {

void SetPythonError(const absl::Status& status) {
  py::list violations;
  for (const Violation& v : StatusViolations(status)) violations.append(py::make_tuple(v.field, v.message));
  py::object sqlstate = py::none();
  if (auto p = status.GetPayload(ToAbsl(store::kSqlStatePayloadUrl)); p.has_value()) sqlstate = py::str(std::string(*p));
  std::string field = StatusField(status);
  py::object make = py::module_::import("daira.errors").attr("_from_status");
  py::object exc = make(static_cast<int>(status.code()), std::string(ToStd(status.message())),
                        field.empty() ? py::object(py::none()) : py::object(py::str(field)), violations, sqlstate);
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
}

}  // namespace

void RegisterErrors(py::module_& m) {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StatusError& e) {
      try {
        SetPythonError(e.status());
      } catch (py::error_already_set& nested) {
        nested.restore();  // importing daira.errors failed: surface that error instead
      }
    }
  });

  // For the test suite: raises the exception a status with `code` would become.
  m.def(
      "_raise_status",
      [](int code, const std::string& message, std::optional<std::string> field) {
        if (code <= 0 || code > 16) throw py::value_error("code must be 1..16");
        absl::Status s(static_cast<absl::StatusCode>(code), message);
        if (field.has_value()) s.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord(ToAbsl(*field)));
        Throw(std::move(s));
      },
      py::arg("code"), py::arg("message"), py::arg("field") = py::none(),
      "Test helper: raises the daira exception for a status with this absl code.");
}

}  // namespace daira::python
