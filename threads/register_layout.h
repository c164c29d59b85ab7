// The registers GDB sees for amd64 GNU/Linux, in the remote numbering of the target
// description we send (which is also the order of the `g` packet), and where the kernel keeps
// each one. The fixed part (0..59) is the same on every x86-64 CPU; AVX, AVX-512 and PKU
// registers follow only when XCR0 says the kernel saves them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "threads/xsave_layout.h"

namespace xolstub::threads {

enum class RegisterStorage : std::uint8_t {
  gpr,          // user_regs_struct field at source_offset; GDB's value is its low bitsize bits
  x87_control,  // FXSAVE control field at source_offset, converted (16-bit words, ftag, fop)
  mxcsr,        // FXSAVE MXCSR at source_offset from the image start: shared by SSE and AVX
  xstate,       // source_offset bytes into XSAVE component `component`, copied as is
};

struct RegisterInfo {
  std::string name;
  unsigned bitsize = 0;
  std::string type;     // GDB target-description type name
  std::string group;    // empty: GDB's default for the type
  std::string feature;  // org.gnu.gdb.i386.*
  std::size_t offset = 0;  // byte offset in the `g` packet

  RegisterStorage storage = RegisterStorage::gpr;
  unsigned component = 0;           // XSAVE component, for x87_control/mxcsr/xstate
  std::uint32_t source_offset = 0;  // see RegisterStorage

  std::size_t size() const { return bitsize / 8; }
};

class RegisterLayout {
public:
  static constexpr std::string_view core_feature = "org.gnu.gdb.i386.core";
  static constexpr std::string_view sse_feature = "org.gnu.gdb.i386.sse";
  static constexpr std::string_view linux_feature = "org.gnu.gdb.i386.linux";
  static constexpr std::string_view segments_feature = "org.gnu.gdb.i386.segments";
  static constexpr std::string_view avx_feature = "org.gnu.gdb.i386.avx";
  static constexpr std::string_view avx512_feature = "org.gnu.gdb.i386.avx512";
  static constexpr std::string_view pkeys_feature = "org.gnu.gdb.i386.pkeys";

  // Numbers GDB's amd64 code fixes, whatever the CPU.
  static constexpr unsigned rbp = 6, rsp = 7, rip = 16, eflags = 17;
  static constexpr unsigned st0 = 24, fctrl = 32, fstat = 33, ftag = 34, fop = 39;
  static constexpr unsigned xmm0 = 40, mxcsr = 56;
  static constexpr unsigned orig_rax = 57, fs_base = 58, gs_base = 59;

  explicit RegisterLayout(const XsaveLayout& xsave);
  // The layout of this CPU, detected once.
  static const RegisterLayout& host();

  std::span<const RegisterInfo> registers() const { return registers_; }
  std::size_t size() const { return registers_.size(); }
  // Throws std::out_of_range naming the number and the valid range.
  const RegisterInfo& at(unsigned regno) const;
  std::optional<unsigned> find(std::string_view name) const;

  std::size_t g_packet_size() const { return g_packet_size_; }
  bool has_avx() const { return has_avx_; }
  bool has_avx512() const { return has_avx512_; }
  bool has_pkeys() const { return has_pkeys_; }
  const XsaveLayout& xsave() const { return xsave_; }

private:
  XsaveLayout xsave_;
  std::vector<RegisterInfo> registers_;
  std::size_t g_packet_size_ = 0;
  bool has_avx_ = false;
  bool has_avx512_ = false;
  bool has_pkeys_ = false;
};

} // namespace xolstub::threads
