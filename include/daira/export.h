// DAIRA_EXPORT marks the symbols a shared libdaira exports.
//
//   class DAIRA_EXPORT Database { ... };
//   DAIRA_EXPORT const char* Version();
//
// On ELF platforms it expands to default visibility, so marked symbols stay exported when the library
// is compiled with -fvisibility=hidden; on Windows it selects dllexport while building a shared daira
// (DAIRA_BUILDING_SHARED) and dllimport when consuming one (DAIRA_SHARED). A static build needs nothing.
#pragma once

#if defined(_WIN32)
#if defined(DAIRA_BUILDING_SHARED)
#define DAIRA_EXPORT __declspec(dllexport)
#elif defined(DAIRA_SHARED)
#define DAIRA_EXPORT __declspec(dllimport)
#else
#define DAIRA_EXPORT
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define DAIRA_EXPORT __attribute__((visibility("default")))
#else
#define DAIRA_EXPORT
#endif
