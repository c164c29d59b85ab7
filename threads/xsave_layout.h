// Where each XSAVE state component sits in the standard (non-compacted) XSAVE image that
// PTRACE_GETREGSET NT_X86_XSTATE returns, as this CPU reports it through CPUID leaf 0xD.
//
// Offsets are never hard-coded: AMD and Intel place the AVX-512 components differently, and a
// debugger that assumes Intel's offsets shows garbage zmm registers on AMD. A layout can also
// be built from given values, so tests can describe a CPU this machine is not.
#pragma once
#include <array>
#include <cstdint>

namespace xolstub::threads {

struct XsaveComponent {
  std::uint32_t offset = 0;  // from the start of the XSAVE image
  std::uint32_t size = 0;    // 0: the CPU does not have this component
};

struct XsaveLayout {
  // State-component numbers (bit numbers in XCR0 and XSTATE_BV).
  static constexpr unsigned x87 = 0;
  static constexpr unsigned sse = 1;
  static constexpr unsigned avx = 2;        // YMM_Hi128: upper halves of ymm0..15
  static constexpr unsigned opmask = 5;     // k0..k7
  static constexpr unsigned zmm_hi256 = 6;  // upper 256 bits of zmm0..15
  static constexpr unsigned hi16_zmm = 7;   // all 512 bits of zmm16..31
  static constexpr unsigned pkru = 9;

  // Fixed by the architecture rather than by CPUID: the 512-byte legacy (FXSAVE) region,
  // Linux's copy of XCR0 in its software-reserved bytes, and the XSAVE header.
  static constexpr std::uint32_t legacy_size = 512;
  static constexpr std::uint32_t sw_xcr0_offset = 464;
  static constexpr std::uint32_t xstate_bv_offset = 512;
  static constexpr std::uint32_t header_size = 64;

  static constexpr std::uint64_t avx_mask = 1u << avx;
  static constexpr std::uint64_t avx512_mask = (1u << opmask) | (1u << zmm_hi256) | (1u << hi16_zmm);
  static constexpr std::uint64_t pkru_mask = 1u << pkru;

  // XCR0: the components the kernel enabled (and so saves for every thread).
  std::uint64_t enabled = 0;
  // Size of the standard-format image for `enabled` (CPUID 0xD.0 EBX); 0 when the CPU has no
  // XSAVE at all and only the FXSAVE legacy region exists.
  std::uint32_t size = 0;
  // Largest image any feature set of this CPU needs (CPUID 0xD.0 ECX): the kernel's regset
  // can be bigger than `size` (AMX state it enables per process), never bigger than this.
  std::uint32_t max_size = 0;
  std::array<XsaveComponent, 64> components{};

  bool has_xsave() const { return size != 0; }
  // The component is enabled and its place is known.
  bool has(unsigned component) const;
  bool has_all(std::uint64_t mask) const;
  // Throws std::logic_error when the component is absent: callers must check has() first.
  const XsaveComponent& component(unsigned component) const;

  // A layout for the given XCR0 and component places; x87 and SSE get their architectural
  // places in the legacy region (x87 at 0, SSE's xmm0 at 160; MXCSR, at 24, is shared by SSE
  // and AVX and belongs to neither here). `size` defaults to the end of the last component.
  static XsaveLayout make(std::uint64_t enabled, const std::array<XsaveComponent, 64>& extended,
                          std::uint32_t size = 0);
  // Reads CPUID leaf 0xD and XCR0 on this CPU.
  static XsaveLayout detect();
  // detect(), done once.
  static const XsaveLayout& host();
};

} // namespace xolstub::threads
