// A caching allocator for large CPU tensors.
//
// libtorch's CPU allocator hands every request to malloc. glibc serves blocks above 32 MiB (the
// largest M_MMAP_THRESHOLD it accepts) with a fresh mmap and unmaps them on free, so a loop that
// allocates and frees the same large tensors — every layer of every reverse sweep of an
// attribution, every step of training — has the kernel fault in and zero the same pages again each
// time (measured: about a third of a 1,024-token attribution's CPU time in page faults). Requests
// below 1 MiB stay with malloc, whose heap keeps them (Torch.keepTensorMemoryInHeap). This
// allocator keeps freed blocks of 1 MiB and more in per-size-class free lists (classes an eighth of
// a power of two apart) and hands them out again, to requests of their class or up to a quarter
// smaller; blocks are unmapped, least recently freed first, once the cache would exceed its limit.
//
// It is installed when the backend is loaded. $DISCERN_CPU_CACHE_MB sets the limit on cached
// (freed, not yet returned) memory; 0 leaves libtorch's allocator alone. The default is a sixteenth
// of physical memory, at most 1 GiB (measured on a 1,024-token attribution, 1 thread: 0 → 13.1 s,
// 512 MiB → 11.2 s, 1 GiB → 9.4 s at +0.4 GiB peak RSS, 2 GiB → 9.2 s at +1 GiB).
#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <list>
#include <map>
#include <mutex>
#include <sys/mman.h>
#include <unistd.h>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

constexpr size_t kMinCached = size_t(1) << 20;

// Rounds up to the next multiple of an eighth of n's power of two.
size_t size_class(size_t n) {
    size_t p = 1;
    while (p * 2 <= n) p *= 2;
    size_t step = p / 8;
    return (n + step - 1) / step * step;
}

class CachingCPUAllocator final : public c10::Allocator {
  public:
    CachingCPUAllocator(c10::Allocator *fallback, size_t limit) : fallback_(fallback), limit_(limit) {}

    // libtorch 1.x declares `allocate` const, 2.x (2.3 on) non-const and adds a pure `copy_data`:
    // both signatures are defined, without `override`, so one source builds against either.
    c10::DataPtr allocate(size_t n) { return static_cast<const CachingCPUAllocator *>(this)->allocate(n); }
    void copy_data(void *dest, const void *src, std::size_t count) const { std::memcpy(dest, src, count); }

    c10::DataPtr allocate(size_t n) const {
        if (n < kMinCached) return fallback_->allocate(n);
        size_t sz = size_class(n);
        void *p = take(sz);
        if (!p) {  // a new block of exactly class sz
            p = map(sz);
            if (!p) {
                release_all();
                p = map(sz);
            }
            TORCH_CHECK(p != nullptr, "DefaultCPUAllocator: can't allocate memory: you tried to allocate ", n,
                        " bytes (", std::strerror(errno), ")");
            std::lock_guard<std::mutex> lock(m_);
            live_[p] = sz;
        }
        return {p, p, &deleter, c10::Device(c10::DeviceType::CPU)};
    }

    c10::DeleterFnPtr raw_deleter() const { return &deleter; }

    static CachingCPUAllocator *instance;

  private:
    // Runs inside tensor destructors: nothing may escape. If caching fails (no memory for the
    // bookkeeping), the block is handed back to the kernel instead.
    static void deleter(void *p) noexcept {
        try {
            instance->give_back(p);
        } catch (...) {
            instance->unmap_untracked(p);
        }
    }

    void unmap_untracked(void *p) const noexcept {
        size_t sz = 0;
        {
            std::lock_guard<std::mutex> lock(m_);
            auto it = live_.find(p);
            if (it == live_.end()) return;
            sz = it->second;
            live_.erase(it);
        }
        munmap(p, sz);
    }

    static void *map(size_t sz) {
        void *p = mmap(nullptr, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? nullptr : p;
    }

    // The most recently freed cached block of the smallest class ≥ sz and at most a quarter larger
    // (so tensors whose size drifts, as a growing causal cone's do, still reuse blocks); nullptr when none.
    void *take(size_t sz) const {
        std::lock_guard<std::mutex> lock(m_);
        for (auto it = free_.lower_bound(sz); it != free_.end() && it->first <= sz + sz / 4; ++it) {
            if (it->second.empty()) continue;
            auto node = it->second.back();
            it->second.pop_back();
            void *p = node->second;
            size_t have = node->first;
            lru_.erase(node);
            cached_ -= have;
            live_[p] = have;
            return p;
        }
        return nullptr;
    }

    // Caches a freed block (or unmaps it when it alone exceeds the limit), then evicts the least
    // recently freed blocks past the limit. What may throw (allocating bookkeeping) happens before
    // anything changes, so the deleter's fallback finds the block still live.
    void give_back(void *p) const {
        std::lock_guard<std::mutex> lock(m_);
        auto it = live_.find(p);
        if (it == live_.end()) {
            // Not ours: a small block from libtorch's allocator freed through raw_deallocate.
            if (auto d = fallback_->raw_deleter()) d(p);
            return;
        }
        size_t sz = it->second;
        if (sz > limit_) {
            live_.erase(it);
            munmap(p, sz);
            return;
        }
        auto &list = free_[sz];
        list.reserve(list.size() + 1);
        lru_.emplace_back(sz, p);
        list.push_back(std::prev(lru_.end()));
        live_.erase(it);
        cached_ += sz;
        // Never reaches the block just cached: alone it fits (sz ≤ limit).
        while (cached_ > limit_) evict_oldest();
    }

    // Unmaps the least recently freed cached block (caller holds the lock).
    void evict_oldest() const noexcept {
        auto node = lru_.begin();
        auto &list = free_.find(node->first)->second;  // present: every cached block is listed
        for (auto i = list.begin(); i != list.end(); ++i) {
            if (*i == node) {
                list.erase(i);
                break;
            }
        }
        munmap(node->second, node->first);
        cached_ -= node->first;
        lru_.erase(node);
    }

    void release_all() const {
        std::lock_guard<std::mutex> lock(m_);
        while (!lru_.empty()) evict_oldest();
    }

    c10::Allocator *fallback_;
    size_t limit_;
    mutable std::mutex m_;
    mutable std::unordered_map<void *, size_t> live_;
    mutable std::list<std::pair<size_t, void *>> lru_;
    mutable std::map<size_t, std::vector<std::list<std::pair<size_t, void *>>::iterator>> free_;
    mutable size_t cached_ = 0;
};

CachingCPUAllocator *CachingCPUAllocator::instance = nullptr;

} // namespace

namespace {
size_t install(size_t limit) noexcept {
    if (limit == 0) return 0;
    try {
        // Never destroyed: tensors may be freed during static destruction.
        CachingCPUAllocator::instance = new CachingCPUAllocator(c10::GetCPUAllocator(), limit);
        c10::SetCPUAllocator(CachingCPUAllocator::instance, /*priority=*/1);
        return limit;
    } catch (...) {
        return 0;  // libtorch's own allocator stays in place
    }
}
} // namespace

// Installs the caching allocator once (see the top of this file); returns the cache limit in
// bytes, 0 when disabled. Called from the C entry point: throws nothing. A malformed
// $DISCERN_CPU_CACHE_MB is reported on stderr and the default is used.
size_t dt_install_cpu_cache() noexcept {
    static const size_t limit = [] {
        long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
        size_t phys = (pages > 0 && page > 0) ? size_t(pages) * size_t(page) : 0;
        if (const char *env = std::getenv("DISCERN_CPU_CACHE_MB"); env && *env) {
            char *end = nullptr;
            errno = 0;
            long long mb = std::strtoll(env, &end, 10);
            if (end && *end == 0 && errno == 0 && mb >= 0) {
                // At most physical memory (also keeps the shift from overflowing).
                size_t cap = phys > 0 ? phys >> 20 : size_t(1) << 20;
                return install(std::min<size_t>(size_t(mb), cap) << 20);
            }
            std::fprintf(stderr, "discern: DISCERN_CPU_CACHE_MB=%s is not a number of MiB; using the default\n", env);
        }
        return install(std::min<size_t>(phys / 16, size_t(1) << 30));
    }();
    return limit;
}
