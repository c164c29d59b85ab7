#include "threads/xsave_layout.h"

#include <cpuid.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace xolstub::threads {

namespace {

// The legacy region holds x87 in bytes 0..159 (control words, then st0..7) and SSE in
// 160..415 (xmm0..15); MXCSR at 24 belongs to both SSE and AVX, so it is handled on its own.
constexpr XsaveComponent legacy_x87{0, 160};
constexpr XsaveComponent legacy_sse{160, 256};

bool cpu_has_osxsave() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  return (ecx & bit_OSXSAVE) != 0;  // XSAVE present and enabled by the OS, so XGETBV works
}

std::uint64_t read_xcr0() {
  std::uint32_t lo, hi;
  asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<std::uint64_t>(hi) << 32) | lo;
}

} // namespace

bool XsaveLayout::has(unsigned c) const {
  return c < components.size() && (enabled >> c & 1) && components[c].size != 0;
}

bool XsaveLayout::has_all(std::uint64_t mask) const {
  for (unsigned c = 0; c < 64; ++c)
    if ((mask >> c & 1) && !has(c)) return false;
  return true;
}

const XsaveComponent& XsaveLayout::component(unsigned c) const {
  if (!has(c))
    throw std::logic_error("XSAVE component " + std::to_string(c) +
                           " is not enabled on this CPU; check XsaveLayout::has() first");
  return components[c];
}

XsaveLayout XsaveLayout::make(std::uint64_t enabled, const std::array<XsaveComponent, 64>& extended,
                              std::uint32_t size) {
  XsaveLayout layout;
  layout.enabled = enabled | (1u << x87) | (1u << sse);  // every x86-64 CPU has both
  layout.components = extended;
  layout.components[x87] = legacy_x87;
  layout.components[sse] = legacy_sse;
  std::uint32_t end = legacy_size + header_size;
  for (unsigned c = 2; c < 64; ++c)
    if (layout.has(c)) end = std::max(end, layout.components[c].offset + layout.components[c].size);
  layout.size = size ? size : end;
  layout.max_size = layout.size;
  return layout;
}

XsaveLayout XsaveLayout::detect() {
  std::array<XsaveComponent, 64> extended{};
  unsigned eax, ebx, ecx, edx;
  if (!cpu_has_osxsave() || __get_cpuid_max(0, nullptr) < 0xd) {
    // FXSAVE only: the legacy region through PTRACE_GETFPREGS.
    XsaveLayout layout = make(0, extended);
    layout.size = layout.max_size = 0;
    return layout;
  }
  const std::uint64_t xcr0 = read_xcr0();
  __cpuid_count(0xd, 0, eax, ebx, ecx, edx);
  const std::uint32_t size = ebx;  // standard-format size for the features enabled in XCR0
  const std::uint32_t max_size = ecx;
  for (unsigned c = 2; c < 63; ++c) {
    if (!(xcr0 >> c & 1)) continue;
    __cpuid_count(0xd, c, eax, ebx, ecx, edx);
    // ECX bit 0 marks a supervisor component (IA32_XSS): it never appears in the user image.
    if (ecx & 1) continue;
    extended[c] = XsaveComponent{ebx, eax};
  }
  XsaveLayout layout = make(xcr0, extended, size);
  layout.max_size = std::max(size, max_size);
  return layout;
}

const XsaveLayout& XsaveLayout::host() {
  static const XsaveLayout layout = detect();
  return layout;
}

} // namespace xolstub::threads
