// p.vectors: users' recommendation embeddings (services::Vectors; docs/cache.md) from Python — a list
// of floats stored as float32, read through the cache's `vector:{user}`, invalidated after commit. A
// value reads back as the shortest decimal of its float32 (put 0.1, get 0.1).
//
//   p.vectors.put(alice, [0.25, -1.5, 3.0])   # upsert (1..4096 finite values)
//   p.vectors.get(alice)                      # [0.25, -1.5, 3.0] (None: no embedding stored)
//   p.vectors.delete(alice)                   # True when there was one
#include "daira/services/vectors.h"

#include <pybind11/stl.h>

#include <cfloat>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "common.h"
#include "daira/core/status.h"
#include "module.h"
#include "transaction.h"

namespace daira::python {

namespace {

// A sequence of numbers → float32 values. TypeError for a str/bytes or a non-number item;
// InvalidArgument naming "embedding" for a finite value float32 cannot hold (it would become an
// infinity). NaN and infinities pass through: Vectors::Put refuses them naming the index.
std::vector<float> Floats(const py::handle& embedding) {
  if (py::isinstance<py::str>(embedding) || py::isinstance<py::bytes>(embedding) ||
      !py::isinstance<py::sequence>(embedding)) {
    throw py::type_error("vectors.put: embedding must be a sequence of numbers (got " + Repr(embedding) + ")");
  }
  py::sequence seq = py::reinterpret_borrow<py::sequence>(embedding);
  std::vector<float> out;
  out.reserve(py::len(seq));
  for (size_t i = 0; i < py::len(seq); ++i) {
    py::object item = seq[i];
    if (py::isinstance<py::bool_>(item) || !(py::isinstance<py::float_>(item) || py::isinstance<py::int_>(item) ||
                                              py::hasattr(item, "__float__"))) {
      throw py::type_error("vectors.put: embedding[" + std::to_string(i) + "] must be a number (got " +
                           Repr(item) + ")");
    }
    const double d = py::cast<double>(py::float_(item));
    if (std::isfinite(d) && std::fabs(d) > static_cast<double>(FLT_MAX)) {
      Throw(InvalidField("vectors: put", "embedding",
                         "must hold values float32 can represent (got " + Repr(item) + " at index " +
                             std::to_string(i) + ")"));
    }
    out.push_back(static_cast<float>(d));
  }
  return out;
}

// The double closest to the shortest decimal that reads back as `x` (0.1f → 0.1, not
// 0.10000000149011612): a Python float that converts back to exactly `x` and prints as it was put.
double ShortestDouble(float x) {
  char buf[32];
  const std::to_chars_result end = std::to_chars(buf, buf + sizeof buf, x);
  double d = static_cast<double>(x);
  std::from_chars(buf, end.ptr, d);
  return d;
}

}  // namespace

void RegisterVectors(py::module_& m) {
  py::class_<VectorsApi>(m, "Vectors",
                         "Users' recommendation embeddings (float32), read through the cache's vector:{user}.")
      .def(
          "get",
          [](VectorsApi& a, int64_t user_id, TxState* tx) -> py::object {
            std::optional<std::vector<float>> v = CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.vectors().Get(ctx, UserId{user_id});
            });
            if (!v.has_value()) return py::none();
            py::list out(v->size());
            for (size_t i = 0; i < v->size(); ++i) out[i] = py::float_(ShortestDouble((*v)[i]));
            return out;
          },
          py::arg("user_id"), py::kw_only(), py::arg("tx") = py::none(),
          "The user's embedding as a list of floats (float32 values), or None when none is stored.\n"
          "NotFound for an unknown or deleted user. With tx=, read inside the transaction (no cache).")
      .def(
          "put",
          [](VectorsApi& a, int64_t user_id, py::object embedding, TxState* tx) {
            std::vector<float> values = Floats(embedding);
            CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.vectors().Put(ctx, UserId{user_id}, values);
            });
          },
          py::arg("user_id"), py::arg("embedding"), py::kw_only(), py::arg("tx") = py::none(),
          "Stores (replaces) the user's embedding: a sequence of 1..4096 finite numbers, kept as float32.\n"
          "InvalidArgument naming embedding (empty, too long, NaN, infinite, beyond float32); NotFound for an\n"
          "unknown or deleted user. The cached vector:{user} is invalidated after commit.")
      .def(
          "delete",
          [](VectorsApi& a, int64_t user_id, TxState* tx) {
            return CallIn(a.core, tx, [&](Platform& p, const RequestContext& ctx) {
              return p.vectors().Delete(ctx, UserId{user_id});
            });
          },
          py::arg("user_id"), py::kw_only(), py::arg("tx") = py::none(),
          "Removes the user's embedding → True when there was one. Invalidated after commit like put.");
}

}  // namespace daira::python
