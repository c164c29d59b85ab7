#include "threads/register_file.h"

#include <elf.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "threads/ptrace_ops.h"

namespace xolstub::threads {

namespace {

// FXSAVE legacy-region fields (Intel SDM vol. 1, table 10-2, 64-bit format).
constexpr std::size_t fcw_offset = 0;
constexpr std::size_t fsw_offset = 2;
constexpr std::size_t ftw_offset = 4;  // abridged: one byte
constexpr std::size_t fop_offset = 6;
constexpr std::size_t mxcsr_offset = 24;
constexpr std::size_t mxcsr_mask_offset = 28;
constexpr std::uint32_t mxcsr_mask_default = 0xffbf;  // when the CPU stores 0 there
constexpr std::size_t st_space_offset = 32;
constexpr std::uint16_t fcw_init = 0x037f;  // what FNINIT/XRSTOR-init load

// x87 tag values in the full tag word.
constexpr unsigned tag_valid = 0, tag_zero = 1, tag_special = 2, tag_empty = 3;

std::uint16_t load16(const std::uint8_t* p) {
  std::uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
std::uint64_t load64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
void store16(std::uint8_t* p, std::uint16_t v) { std::memcpy(p, &v, sizeof v); }
void store32(std::uint8_t* p, std::uint32_t v) { std::memcpy(p, &v, sizeof v); }
void store64(std::uint8_t* p, std::uint64_t v) { std::memcpy(p, &v, sizeof v); }

unsigned classify_x87(const std::uint8_t* reg) {
  const std::uint64_t mantissa = load64(reg);
  const unsigned exponent = load16(reg + 8) & 0x7fff;
  const bool integer_bit = mantissa >> 63;
  if (exponent == 0x7fff) return tag_special;  // infinity or NaN
  if (exponent == 0) return mantissa == 0 ? tag_zero : tag_special;  // zero or denormal
  return integer_bit ? tag_valid : tag_special;  // normal, or an "unnormal" encoding
}

std::string hex(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "%x", value);
  return text;
}

[[noreturn]] void throw_ptrace(const char* request, pid_t tid, int error) {
  throw PtraceError(std::string(request) + " on thread " + std::to_string(tid) +
                        " failed: " + std::strerror(error) +
                        (error == ESRCH ? " (the thread is gone or not in a ptrace-stop)" : ""),
                    error);
}

} // namespace

std::uint16_t x87_full_tag(std::uint8_t abridged, std::uint16_t fstat,
                           std::span<const std::uint8_t, 128> st_space) {
  const unsigned top = (fstat >> 11) & 7;
  std::uint16_t full = 0;
  for (unsigned physical = 0; physical < 8; ++physical) {
    unsigned tag = tag_empty;
    if (abridged >> physical & 1) {
      // Physical register R(p) is st((p - TOP) mod 8), and FXSAVE stores in st order.
      const unsigned st = (physical - top) & 7;
      tag = classify_x87(st_space.data() + 16 * st);
    }
    full |= static_cast<std::uint16_t>(tag << (2 * physical));
  }
  return full;
}

std::uint8_t x87_abridged_tag(std::uint16_t full) {
  std::uint8_t abridged = 0;
  for (unsigned physical = 0; physical < 8; ++physical)
    if ((full >> (2 * physical) & 3) != tag_empty) abridged |= static_cast<std::uint8_t>(1u << physical);
  return abridged;
}

RegisterFile::RegisterFile(pid_t tid, const RegisterLayout& layout) : tid_(tid), layout_(layout) {}

void RegisterFile::fetch_gprs() {
  if (gprs_valid_) return;
  if (::ptrace(PTRACE_GETREGS, tid_, nullptr, &gprs_) == -1) throw_ptrace("PTRACE_GETREGS", tid_, errno);
  gprs_valid_ = true;
}

void RegisterFile::fetch_fp() {
  if (fp_valid_) return;
  const XsaveLayout& xsave = layout_.xsave();
  if (xsave.has_xsave()) {
    // Ask for the largest image this CPU could need; the kernel trims iov_len to its own
    // regset size, which SETREGSET later requires exactly.
    fp_.assign(std::max<std::size_t>(xsave.max_size, xsave.size), 0);
    iovec iov{fp_.data(), fp_.size()};
    if (::ptrace(PTRACE_GETREGSET, tid_, reinterpret_cast<void*>(NT_X86_XSTATE), &iov) == 0) {
      fp_.resize(iov.iov_len);
      if (fp_.size() < XsaveLayout::legacy_size + XsaveLayout::header_size)
        throw std::runtime_error("NT_X86_XSTATE of thread " + std::to_string(tid_) + " is only " +
                                 std::to_string(fp_.size()) + " bytes, too short for an XSAVE image");
      fp_is_xstate_ = true;
      fp_valid_ = true;
      // A component whose XSTATE_BV bit is clear is in its init state whatever bytes the
      // buffer holds: make the bytes say so, so reads need no special case and a write that
      // later sets the bit starts from the value GDB was shown.
      const std::uint64_t bv = xstate_bv();
      for (unsigned c = 0; c < 64; ++c) {
        if (!xsave.has(c) || (bv >> c & 1)) continue;
        const XsaveComponent& place = xsave.components[c];
        if (place.offset + place.size > fp_.size()) continue;
        if (c == XsaveLayout::x87) {
          // Bytes 24..31 (MXCSR and its mask) sit inside the x87 area but are not x87 state.
          std::fill_n(fp_.begin() + place.offset, mxcsr_offset, 0);
          std::fill_n(fp_.begin() + st_space_offset, place.size - st_space_offset, 0);
          store16(fp_.data() + fcw_offset, fcw_init);
        } else {
          std::fill_n(fp_.begin() + place.offset, place.size, 0);
        }
      }
      return;
    }
    if (errno != EINVAL && errno != ENODEV && errno != EIO) throw_ptrace("PTRACE_GETREGSET(NT_X86_XSTATE)", tid_, errno);
    // Fall through: a kernel without the XSTATE regset still has the FXSAVE region.
  }
  fp_.assign(sizeof(user_fpregs_struct), 0);
  if (::ptrace(PTRACE_GETFPREGS, tid_, nullptr, fp_.data()) == -1) throw_ptrace("PTRACE_GETFPREGS", tid_, errno);
  fp_is_xstate_ = false;
  fp_valid_ = true;
}

std::uint64_t RegisterFile::xstate_bv() {
  fetch_fp();
  if (!fp_is_xstate_) return (1u << XsaveLayout::x87) | (1u << XsaveLayout::sse);
  return load64(fp_.data() + XsaveLayout::xstate_bv_offset);
}

std::uint8_t* RegisterFile::component_bytes(unsigned component) {
  fetch_fp();
  const XsaveComponent& place = layout_.xsave().component(component);
  if (place.offset + place.size > fp_.size())
    throw std::runtime_error("XSAVE component " + std::to_string(component) + " of thread " +
                             std::to_string(tid_) + " is not in the " + std::to_string(fp_.size()) +
                             "-byte register image the kernel returned");
  return fp_.data() + place.offset;
}

void RegisterFile::make_component_live(unsigned component) {
  fetch_fp();
  fp_dirty_ = true;
  if (!fp_is_xstate_) return;
  // The kernel ignores the bytes of a component whose XSTATE_BV bit is clear. Its bytes
  // already hold the init value (see fetch_fp), so setting the bit is all that is needed.
  std::uint8_t* bv = fp_.data() + XsaveLayout::xstate_bv_offset;
  store64(bv, load64(bv) | (std::uint64_t{1} << component));
}

void RegisterFile::read_into(const RegisterInfo& info, std::uint8_t* out) {
  switch (info.storage) {
  case RegisterStorage::gpr:
    fetch_gprs();
    std::memcpy(out, reinterpret_cast<const std::uint8_t*>(&gprs_) + info.source_offset, info.size());
    return;
  case RegisterStorage::mxcsr:
    fetch_fp();
    std::memcpy(out, fp_.data() + info.source_offset, info.size());
    return;
  case RegisterStorage::xstate:
    std::memcpy(out, component_bytes(info.component) + info.source_offset, info.size());
    return;
  case RegisterStorage::x87_control: {
    const std::uint8_t* fx = component_bytes(XsaveLayout::x87);
    std::uint32_t value = 0;
    switch (info.source_offset) {
    case fcw_offset:
    case fsw_offset:
      value = load16(fx + info.source_offset);
      break;
    case ftw_offset:
      value = x87_full_tag(fx[ftw_offset], load16(fx + fsw_offset),
                           std::span<const std::uint8_t, 128>(fx + st_space_offset, 128));
      break;
    case fop_offset:
      value = load16(fx + fop_offset) & 0x7ff;  // the opcode has 11 bits; the rest is reserved
      break;
    default:  // fioff/fiseg/fooff/foseg: 32-bit halves of the 64-bit FIP and FDP
      std::memcpy(&value, fx + info.source_offset, sizeof value);
    }
    store32(out, value);
    return;
  }
  }
}

void RegisterFile::write_from(const RegisterInfo& info, const std::uint8_t* in) {
  // Writing a value equal to the current one changes nothing: skipping it keeps a `G` that
  // only repeats what `g` said from marking every set dirty and every component live.
  std::uint8_t current[64];  // the widest register, zmmNh, has 32 bytes
  read_into(info, current);
  if (std::memcmp(current, in, info.size()) == 0) return;

  switch (info.storage) {
  case RegisterStorage::gpr: {
    // GDB's 32-bit eflags and selectors live in 64-bit kernel fields: zero-extend.
    std::uint64_t value = 0;
    std::memcpy(&value, in, info.size());
    store64(reinterpret_cast<std::uint8_t*>(&gprs_) + info.source_offset, value);
    gprs_dirty_ = true;
    return;
  }
  case RegisterStorage::mxcsr: {
    // Setting a reserved bit would make the kernel refuse the whole register set at flush().
    std::uint32_t value, mask;
    std::memcpy(&value, in, sizeof value);
    std::memcpy(&mask, fp_.data() + mxcsr_mask_offset, sizeof mask);
    if (mask == 0) mask = mxcsr_mask_default;
    if (value & ~mask)
      throw std::invalid_argument("mxcsr value 0x" + hex(value) + " sets reserved bits 0x" +
                                  hex(value & ~mask) + " (this CPU allows 0x" + hex(mask) + ")");
    // The kernel takes MXCSR only when the SSE, AVX or x87 bit is set in XSTATE_BV.
    make_component_live(XsaveLayout::sse);
    std::memcpy(fp_.data() + info.source_offset, in, info.size());
    return;
  }
  case RegisterStorage::xstate: {
    std::uint8_t* place = component_bytes(info.component) + info.source_offset;
    make_component_live(info.component);
    std::memcpy(place, in, info.size());
    return;
  }
  case RegisterStorage::x87_control: {
    std::uint8_t* fx = component_bytes(XsaveLayout::x87);
    make_component_live(XsaveLayout::x87);
    std::uint32_t value;
    std::memcpy(&value, in, sizeof value);
    switch (info.source_offset) {
    case fcw_offset:
    case fsw_offset:
      store16(fx + info.source_offset, static_cast<std::uint16_t>(value));
      break;
    case ftw_offset:
      fx[ftw_offset] = x87_abridged_tag(static_cast<std::uint16_t>(value));
      break;
    case fop_offset:
      store16(fx + fop_offset, static_cast<std::uint16_t>((value & 0x7ff) | (load16(fx + fop_offset) & 0xf800)));
      break;
    default:
      store32(fx + info.source_offset, value);
    }
    return;
  }
  }
}

std::vector<std::uint8_t> RegisterFile::read_all() {
  std::vector<std::uint8_t> bytes(layout_.g_packet_size());
  for (const RegisterInfo& info : layout_.registers()) read_into(info, bytes.data() + info.offset);
  return bytes;
}

void RegisterFile::write_all(std::span<const std::uint8_t> bytes) {
  for (const RegisterInfo& info : layout_.registers())
    if (info.offset + info.size() <= bytes.size()) write_from(info, bytes.data() + info.offset);
}

std::vector<std::uint8_t> RegisterFile::read(unsigned regno) {
  const RegisterInfo& info = layout_.at(regno);
  std::vector<std::uint8_t> bytes(info.size());
  read_into(info, bytes.data());
  return bytes;
}

void RegisterFile::write(unsigned regno, std::span<const std::uint8_t> value) {
  const RegisterInfo& info = layout_.at(regno);
  if (value.size() != info.size())
    throw std::invalid_argument("register " + info.name + " is " + std::to_string(info.size()) +
                                " bytes, but " + std::to_string(value.size()) + " were given");
  write_from(info, value.data());
}

std::uint64_t RegisterFile::pc() {
  fetch_gprs();
  return gprs_.rip;
}

void RegisterFile::set_pc(std::uint64_t pc) {
  fetch_gprs();
  gprs_.rip = pc;
  gprs_dirty_ = true;
}

user_regs_struct& RegisterFile::gprs() {
  fetch_gprs();
  return gprs_;
}

void RegisterFile::mark_gprs_dirty() {
  fetch_gprs();  // never write back a structure that was not read first
  gprs_dirty_ = true;
}

void RegisterFile::flush() {
  if (gprs_dirty_) {
    if (::ptrace(PTRACE_SETREGS, tid_, nullptr, &gprs_) == -1) throw_ptrace("PTRACE_SETREGS", tid_, errno);
    gprs_dirty_ = false;
  }
  if (fp_dirty_) {
    if (fp_is_xstate_) {
      iovec iov{fp_.data(), fp_.size()};
      if (::ptrace(PTRACE_SETREGSET, tid_, reinterpret_cast<void*>(NT_X86_XSTATE), &iov) == -1)
        throw_ptrace("PTRACE_SETREGSET(NT_X86_XSTATE)", tid_, errno);
    } else if (::ptrace(PTRACE_SETFPREGS, tid_, nullptr, fp_.data()) == -1) {
      throw_ptrace("PTRACE_SETFPREGS", tid_, errno);
    }
    fp_dirty_ = false;
  }
}

void RegisterFile::invalidate() {
  gprs_valid_ = gprs_dirty_ = false;
  fp_valid_ = fp_dirty_ = false;
  fp_.clear();
}

} // namespace xolstub::threads
