// p.blobs (blobs.cc): the service object Python sees for the blob store; platform.cc holds one.
#pragma once

#include "common.h"

namespace daira::python {

struct BlobsApi {
  CorePtr core;
};

}  // namespace daira::python
