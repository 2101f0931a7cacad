// semdedup._core: the engine's stages and in-memory calls for the Python package `semdedup`.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include "call.hpp"
#include "semdedup/io/arrow_runtime.hpp"

namespace nb = nanobind;

namespace semdedup::python {
void bind_stages(nb::module_& m);
void bind_arrays(nb::module_& m);
}  // namespace semdedup::python

NB_MODULE(_core, m) {
  m.doc() = "The semdedup engine (C++); use the package semdedup, not this module.";
  m.attr("__version__") = SEMDEDUP_VERSION;
#ifdef SEMDEDUP_BLAS_FROM_WHEEL
  m.attr("BLAS_FROM_WHEEL") = true;
#else
  m.attr("BLAS_FROM_WHEEL") = false;
#endif
  m.def("initialize_arrow", [] {
    const semdedup::Status status = semdedup::io::initialize_arrow();
    if (!status.ok()) semdedup::python::raise_status(status);
    return semdedup::io::arrow_description();
  });
  semdedup::python::bind_stages(m);
  semdedup::python::bind_arrays(m);
}
