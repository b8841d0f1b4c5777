// libseccomp, for the system-call filter that process-runtime workers run under (see
// GatehouseRuntimes/Process/WorkerSeccomp.swift). A system-library target: Debian's libseccomp-dev.
#include <seccomp.h>
