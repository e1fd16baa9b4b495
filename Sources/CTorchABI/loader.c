/* Run-time loading of the torch backend: dlopen, ABI check, function table. */
#define _GNU_SOURCE
#include "discern_torch.h"
#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

const dt_api *dt_load(const char *path, char *err, size_t errlen) {
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        snprintf(err, errlen, "cannot open torch backend %s: %s", path, why ? why : "unknown error");
        return NULL;
    }
    int32_t (*version)(void) = (int32_t (*)(void))dlsym(lib, "discern_torch_abi_version");
    if (!version) {
        snprintf(err, errlen, "%s is not a Discern torch backend (no discern_torch_abi_version symbol)", path);
        dlclose(lib);
        return NULL;
    }
    int32_t v = version();
    if (v != DT_ABI_VERSION) {
        snprintf(err, errlen,
                 "torch backend ABI mismatch: %s implements ABI %d, this discern needs ABI %d; "
                 "rebuild the backend from this checkout (swift build, or Scripts/build-torch-backend.sh)",
                 path, (int)v, DT_ABI_VERSION);
        dlclose(lib);
        return NULL;
    }
    const dt_api *(*get)(void) = (const dt_api *(*)(void))dlsym(lib, "discern_torch_api");
    const dt_api *api = get ? get() : NULL;
    if (!api || api->abi_version != DT_ABI_VERSION || api->struct_size < sizeof(dt_api)) {
        snprintf(err, errlen, "torch backend %s has an incomplete function table (ABI %d, %u bytes, need %zu)",
                 path, api ? (int)api->abi_version : -1, api ? api->struct_size : 0u, sizeof(dt_api));
        dlclose(lib);
        return NULL;
    }
    return api; /* the library stays loaded for the life of the process */
}

int dt_self_path(char *buf, size_t len) {
    Dl_info info;
    if (dladdr((void *)&dt_self_path, &info) == 0 || !info.dli_fname) return 0;
    snprintf(buf, len, "%s", info.dli_fname);
    return 1;
}

int dt_set_heap_thresholds(long mmap_threshold, long trim_threshold) {
    int ok = 1;
    if (mmap_threshold > 0) ok &= mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold) == 1;
    if (trim_threshold > 0) ok &= mallopt(M_TRIM_THRESHOLD, (int)trim_threshold) == 1;
    return ok;
}
