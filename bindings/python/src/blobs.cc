// p.blobs: the blob store (docs/storage.md; file:DIR or s3://…) from Python. Thin: each call is one
// daira call with the GIL released.
//
//   p.blobs.put("avatars/7.png", data, content_type="image/png")   # bytes, or a pathlib.Path / os.PathLike
//   p.blobs.get("avatars/7.png")                                   # bytes (NotFound naming the key)
//   p.blobs.get_range("videos/1.mp4", 0, 1024)
//   [o["key"] for o in p.blobs.list("avatars/")]                    # every page, in key order
//   p.blobs.url("avatars/7.png", expires=3600)                       # presigned on S3, file:// on file:
#include "blobs.h"

#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "daira/blob/store.h"
#include "daira/core/status.h"
#include "module.h"

namespace daira::python {

namespace {

py::dict InfoDict(const blob::ObjectInfo& o) {
  py::dict d;
  d["key"] = o.key;
  d["size"] = o.size;
  d["content_type"] = o.content_type;
  d["etag"] = o.etag;
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(o.modified.time_since_epoch()).count();
  d["modified"] = ToDatetime(FromUnixMicros(us));
  return d;
}

}  // namespace

void RegisterBlobs(py::module_& m) {
  py::class_<BlobsApi>(m, "Blobs", "The blob store (blobs= URL: file:DIR or s3://…).")
      .def_property_readonly("backend",
                             [](BlobsApi& a) {
                               return a.core->Call([](Platform& p) {
                                 return absl::StatusOr<std::string>(std::string(p.blobs().Name()));
                               });
                             })
      .def(
          "put",
          [](BlobsApi& a, const std::string& key, py::object data, const std::string& content_type) {
            blob::PutOptions o;
            o.content_type = content_type;
            blob::ObjectInfo info;
            if (py::isinstance<py::bytes>(data) || py::isinstance<py::bytearray>(data) ||
                py::isinstance<py::memoryview>(data)) {
              std::string bytes = py::cast<std::string>(py::bytes(data));
              info = a.core->Call([&](Platform& p) { return p.blobs().Put(Ctx(), key, bytes, o); });
            } else if (py::isinstance(data, py::module_::import("os").attr("PathLike")) ||
                       py::isinstance<py::str>(data)) {
              std::string path = py::cast<std::string>(py::module_::import("os").attr("fspath")(data));
              info = a.core->Call([&](Platform& p) { return p.blobs().PutFile(Ctx(), key, path, o); });
            } else {
              throw py::type_error("blobs.put takes bytes or a path (got " + Repr(data) + ")");
            }
            return InfoDict(info);
          },
          py::arg("key"), py::arg("data"), py::kw_only(),
          py::arg("content_type") = "application/octet-stream",
          "Stores bytes (bytes/bytearray/memoryview), or a local file's contents (str or os.PathLike path,\n"
          "streamed), under `key` → info dict (key, size, content_type, etag, modified).")
      .def(
          "get",
          [](BlobsApi& a, const std::string& key) {
            std::string bytes = a.core->Call([&](Platform& p) { return p.blobs().Get(Ctx(), key); });
            return py::bytes(bytes);
          },
          py::arg("key"), "The whole object (NotFound naming the key).")
      .def(
          "get_range",
          [](BlobsApi& a, const std::string& key, int64_t offset, int64_t length) {
            std::string bytes =
                a.core->Call([&](Platform& p) { return p.blobs().GetRange(Ctx(), key, offset, length); });
            return py::bytes(bytes);
          },
          py::arg("key"), py::arg("offset"), py::arg("length"),
          "Up to `length` bytes from `offset` (OutOfRange when offset >= size).")
      .def(
          "stat",
          [](BlobsApi& a, const std::string& key) {
            return InfoDict(a.core->Call([&](Platform& p) { return p.blobs().Stat(Ctx(), key); }));
          },
          py::arg("key"))
      .def(
          "exists",
          [](BlobsApi& a, const std::string& key) {
            return a.core->Call([&](Platform& p) { return p.blobs().Exists(Ctx(), key); });
          },
          py::arg("key"))
      .def(
          "delete",
          [](BlobsApi& a, const std::string& key) {
            a.core->Call([&](Platform& p) { return p.blobs().Delete(Ctx(), key); });
          },
          py::arg("key"), "Removes the object (no error when there is none).")
      .def(
          "list",
          [](BlobsApi& a, const std::string& prefix) {
            py::list out;
            blob::ListOptions o;
            for (;;) {
              blob::ListPage page =
                  a.core->Call([&](Platform& p) { return p.blobs().List(Ctx(), prefix, o); });
              for (const blob::ObjectInfo& info : page.objects) out.append(InfoDict(info));
              if (page.next_token.empty()) break;
              o.page_token = page.next_token;
            }
            return out;
          },
          py::arg("prefix") = "", "Info dicts of every object whose key starts with `prefix`, in key order.")
      .def(
          "url",
          [](BlobsApi& a, const std::string& key, double expires) {
            if (!std::isfinite(expires)) Throw(InvalidField("blobs.url", "expires", "must be finite"));
            auto expiry = std::chrono::seconds(static_cast<int64_t>(std::llround(expires)));
            return a.core->Call([&](Platform& p) { return p.blobs().Url(Ctx(), key, expiry); });
          },
          py::arg("key"), py::kw_only(), py::arg("expires") = 3600.0,
          "A URL to read the object: presigned GET valid `expires` seconds on S3; file:// on file:.");
}

}  // namespace daira::python
