// The registers of one ptrace-stopped thread, as GDB numbers them (RegisterLayout).
//
// Two kernel register sets back them: PTRACE_GETREGS (user_regs_struct: general registers,
// orig_rax, fs_base/gs_base, segment selectors) and PTRACE_GETREGSET NT_X86_XSTATE (x87, SSE
// and every XSAVE component; PTRACE_GETFPREGS when the kernel has no XSAVE). Each set is
// fetched on first use and written back by flush() only if something in it changed.
#pragma once
#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>
#include <span>
#include <vector>

#include "threads/register_layout.h"

namespace xolstub::threads {

// x87 tag word conversions. FXSAVE/XSAVE keep the abridged tag (one "not empty" bit per
// physical register) while GDB shows the full 16-bit tag (two bits each: valid, zero,
// special, empty), which is rebuilt from each register's contents.
// `st_space` is the FXSAVE register area: st(0)..st(7) in stack order, 16 bytes apart.
std::uint16_t x87_full_tag(std::uint8_t abridged, std::uint16_t fstat,
                           std::span<const std::uint8_t, 128> st_space);
std::uint8_t x87_abridged_tag(std::uint16_t full);

class RegisterFile {
public:
  RegisterFile(pid_t tid, const RegisterLayout& layout);

  // The `g` packet: every register in layout order, little endian.
  std::vector<std::uint8_t> read_all();
  // `G`: a buffer shorter than the `g` packet writes only the registers it wholly covers.
  void write_all(std::span<const std::uint8_t> bytes);
  // `p`/`P`. Both throw std::out_of_range for a register number the layout lacks; write
  // throws std::invalid_argument when the value is not exactly the register's size.
  std::vector<std::uint8_t> read(unsigned regno);
  void write(unsigned regno, std::span<const std::uint8_t> value);

  std::uint64_t pc();
  void set_pc(std::uint64_t pc);
  // Direct access for the stub's own use (XOL fix-ups); call mark_gprs_dirty() after writing.
  user_regs_struct& gprs();
  void mark_gprs_dirty();

  // The XSTATE_BV of the cached image (which components hold non-init state), including bits
  // set by writes. All of x87|SSE when the kernel has no XSAVE.
  std::uint64_t xstate_bv();

  // Pushes modified sets back to the kernel; call before the thread resumes.
  void flush();
  // Forgets everything fetched; call after the thread ran. Unflushed writes are lost.
  void invalidate();

  pid_t tid() const { return tid_; }
  const RegisterLayout& layout() const { return layout_; }

private:
  void fetch_gprs();
  void fetch_fp();
  std::uint8_t* component_bytes(unsigned component);
  void read_into(const RegisterInfo& info, std::uint8_t* out);
  void write_from(const RegisterInfo& info, const std::uint8_t* in);
  void make_component_live(unsigned component);

  pid_t tid_;
  const RegisterLayout& layout_;

  user_regs_struct gprs_{};
  bool gprs_valid_ = false;
  bool gprs_dirty_ = false;

  // The XSAVE image as the kernel returned it (its length is the kernel's regset size, which
  // SETREGSET insists on), or just the 512-byte FXSAVE region from GETFPREGS.
  std::vector<std::uint8_t> fp_;
  bool fp_is_xstate_ = false;
  bool fp_valid_ = false;
  bool fp_dirty_ = false;
};

} // namespace xolstub::threads
