// Which sanitizer a build runs under, in one place: GCC names the sanitizers with macros,
// clang (before 17) only answers __has_feature. Defines CUCKOOD_TSAN under ThreadSanitizer, and
// CUCKOOD_SANITIZED under any sanitizer that replaces malloc (address, thread, memory).
#pragma once

#if defined(__SANITIZE_THREAD__)
#define CUCKOOD_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CUCKOOD_TSAN 1
#endif
#endif

#if defined(__SANITIZE_ADDRESS__) || defined(CUCKOOD_TSAN)
#define CUCKOOD_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define CUCKOOD_SANITIZED 1
#endif
#endif
