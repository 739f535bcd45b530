// daira._daira: the native half of the `daira` Python package. The pure-Python package (daira/)
// re-exports everything public from here; names starting with "_" are test/bench helpers.
#include <pybind11/pybind11.h>

#include "daira/version.h"
#include "module.h"

PYBIND11_MODULE(_daira, m) {
  m.doc() = "Native core of the daira package (pybind11). Import `daira`, not this module.";
  m.attr("__version__") = DAIRA_VERSION_STRING;
  daira::python::RegisterErrors(m);
  daira::python::RegisterModels(m);
  daira::python::RegisterPage(m);
  daira::python::RegisterRecords(m);
  daira::python::RegisterTransaction(m);
  daira::python::RegisterAccounts(m);
  daira::python::RegisterSocial(m);
  daira::python::RegisterContent(m);
  daira::python::RegisterDiscovery(m);
  daira::python::RegisterPaymentsRepos(m);
  daira::python::RegisterModerationRepos(m);
  daira::python::RegisterModerationService(m);
  daira::python::RegisterContentRepos(m);
  daira::python::RegisterSocialRepos(m);
  daira::python::RegisterBus(m);
  daira::python::RegisterCache(m);
  daira::python::RegisterRateLimits(m);
  daira::python::RegisterVectors(m);
  daira::python::RegisterRealtime(m);
  daira::python::RegisterChat(m);
  daira::python::RegisterBlobs(m);
  daira::python::RegisterMoney(m);
  daira::python::RegisterPlatform(m);
}
