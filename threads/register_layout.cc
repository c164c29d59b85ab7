#include "threads/register_layout.h"

#include <sys/user.h>

#include <cstddef>
#include <stdexcept>

namespace xolstub::threads {

namespace {

class Builder {
public:
  explicit Builder(std::vector<RegisterInfo>& out) : out_(out) {}

  void feature(std::string_view name) { feature_ = name; }

  void gpr(std::string name, unsigned bitsize, std::string type, std::size_t field) {
    add(std::move(name), bitsize, std::move(type), "", RegisterStorage::gpr, 0, field);
  }
  void x87_control(std::string name, std::uint32_t fxsave_offset) {
    add(std::move(name), 32, "int", "float", RegisterStorage::x87_control, XsaveLayout::x87,
        fxsave_offset);
  }
  void xstate(std::string name, unsigned bitsize, std::string type, unsigned component,
              std::uint32_t offset, std::string group = "") {
    add(std::move(name), bitsize, std::move(type), std::move(group), RegisterStorage::xstate,
        component, offset);
  }
  void add(std::string name, unsigned bitsize, std::string type, std::string group,
           RegisterStorage storage, unsigned component, std::uint32_t source_offset) {
    RegisterInfo info;
    info.name = std::move(name);
    info.bitsize = bitsize;
    info.type = std::move(type);
    info.group = std::move(group);
    info.feature = feature_;
    info.offset = offset_;
    info.storage = storage;
    info.component = component;
    info.source_offset = source_offset;
    offset_ += info.size();
    out_.push_back(std::move(info));
  }
  std::size_t end() const { return offset_; }

private:
  std::vector<RegisterInfo>& out_;
  std::string feature_;
  std::size_t offset_ = 0;
};

std::string numbered(std::string_view prefix, unsigned n, std::string_view suffix = "") {
  return std::string(prefix) + std::to_string(n) + std::string(suffix);
}

#define GPR(field) offsetof(user_regs_struct, field)

void add_core(Builder& b) {
  b.feature(RegisterLayout::core_feature);
  b.gpr("rax", 64, "int64", GPR(rax));
  b.gpr("rbx", 64, "int64", GPR(rbx));
  b.gpr("rcx", 64, "int64", GPR(rcx));
  b.gpr("rdx", 64, "int64", GPR(rdx));
  b.gpr("rsi", 64, "int64", GPR(rsi));
  b.gpr("rdi", 64, "int64", GPR(rdi));
  b.gpr("rbp", 64, "data_ptr", GPR(rbp));
  b.gpr("rsp", 64, "data_ptr", GPR(rsp));
  b.gpr("r8", 64, "int64", GPR(r8));
  b.gpr("r9", 64, "int64", GPR(r9));
  b.gpr("r10", 64, "int64", GPR(r10));
  b.gpr("r11", 64, "int64", GPR(r11));
  b.gpr("r12", 64, "int64", GPR(r12));
  b.gpr("r13", 64, "int64", GPR(r13));
  b.gpr("r14", 64, "int64", GPR(r14));
  b.gpr("r15", 64, "int64", GPR(r15));
  b.gpr("rip", 64, "code_ptr", GPR(rip));
  b.gpr("eflags", 32, "i386_eflags", GPR(eflags));
  b.gpr("cs", 32, "int32", GPR(cs));
  b.gpr("ss", 32, "int32", GPR(ss));
  b.gpr("ds", 32, "int32", GPR(ds));
  b.gpr("es", 32, "int32", GPR(es));
  b.gpr("fs", 32, "int32", GPR(fs));
  b.gpr("gs", 32, "int32", GPR(gs));
  // FXSAVE keeps st(i) in stack order, one 16-byte slot each from byte 32.
  for (unsigned i = 0; i < 8; ++i)
    b.xstate(numbered("st", i), 80, "i387_ext", XsaveLayout::x87, 32 + 16 * i);
  // In the 64-bit FXSAVE image FIP and FDP are 64 bits wide; like GDB's native amd64 code,
  // fioff/fooff are their low halves and fiseg/foseg their high halves.
  b.x87_control("fctrl", 0);
  b.x87_control("fstat", 2);
  b.x87_control("ftag", 4);
  b.x87_control("fiseg", 12);
  b.x87_control("fioff", 8);
  b.x87_control("foseg", 20);
  b.x87_control("fooff", 16);
  b.x87_control("fop", 6);
}

void add_sse(Builder& b) {
  b.feature(RegisterLayout::sse_feature);
  for (unsigned i = 0; i < 16; ++i)
    b.xstate(numbered("xmm", i), 128, "vec128", XsaveLayout::sse, 16 * i);
  // source_offset is from the start of the image: MXCSR is outside both legacy components.
  b.add("mxcsr", 32, "i386_mxcsr", "vector", RegisterStorage::mxcsr, XsaveLayout::sse, 24);
}

void add_linux_and_segments(Builder& b) {
  b.feature(RegisterLayout::linux_feature);
  b.gpr("orig_rax", 64, "int", GPR(orig_rax));
  b.feature(RegisterLayout::segments_feature);
  b.gpr("fs_base", 64, "int", GPR(fs_base));
  b.gpr("gs_base", 64, "int", GPR(gs_base));
}

#undef GPR

void add_avx(Builder& b) {
  b.feature(RegisterLayout::avx_feature);
  for (unsigned i = 0; i < 16; ++i)
    b.xstate(numbered("ymm", i, "h"), 128, "uint128", XsaveLayout::avx, 16 * i);
}

// The order within the feature is GDB's (64bit-avx512.xml): it does not matter to GDB, which
// matches registers by name, but keeps our `g` packet identical to gdbserver's.
void add_avx512(Builder& b) {
  b.feature(RegisterLayout::avx512_feature);
  // zmm16..31 live whole (64 bytes each) in the Hi16_ZMM component.
  for (unsigned i = 16; i < 32; ++i)
    b.xstate(numbered("xmm", i), 128, "vec128", XsaveLayout::hi16_zmm, 64 * (i - 16));
  for (unsigned i = 16; i < 32; ++i)
    b.xstate(numbered("ymm", i, "h"), 128, "uint128", XsaveLayout::hi16_zmm, 64 * (i - 16) + 16);
  for (unsigned i = 0; i < 8; ++i)
    b.xstate(numbered("k", i), 64, "uint64", XsaveLayout::opmask, 8 * i);
  for (unsigned i = 0; i < 16; ++i)
    b.xstate(numbered("zmm", i, "h"), 256, "v2ui128", XsaveLayout::zmm_hi256, 32 * i);
  for (unsigned i = 16; i < 32; ++i)
    b.xstate(numbered("zmm", i, "h"), 256, "v2ui128", XsaveLayout::hi16_zmm, 64 * (i - 16) + 32);
}

void add_pkeys(Builder& b) {
  b.feature(RegisterLayout::pkeys_feature);
  b.xstate("pkru", 32, "uint32", XsaveLayout::pkru, 0);
}

} // namespace

RegisterLayout::RegisterLayout(const XsaveLayout& xsave) : xsave_(xsave) {
  has_avx_ = xsave_.has(XsaveLayout::avx);
  // GDB accepts AVX-512 registers only next to AVX ones, and needs all three components.
  has_avx512_ = has_avx_ && xsave_.has_all(XsaveLayout::avx512_mask);
  has_pkeys_ = xsave_.has(XsaveLayout::pkru);

  Builder b(registers_);
  add_core(b);
  add_sse(b);
  add_linux_and_segments(b);
  if (has_avx_) add_avx(b);
  if (has_avx512_) add_avx512(b);
  if (has_pkeys_) add_pkeys(b);
  g_packet_size_ = b.end();
}

const RegisterLayout& RegisterLayout::host() {
  static const RegisterLayout layout(XsaveLayout::host());
  return layout;
}

const RegisterInfo& RegisterLayout::at(unsigned regno) const {
  if (regno >= registers_.size())
    throw std::out_of_range("register number " + std::to_string(regno) +
                            " does not exist: this target has registers 0.." +
                            std::to_string(registers_.size() - 1));
  return registers_[regno];
}

std::optional<unsigned> RegisterLayout::find(std::string_view name) const {
  for (unsigned i = 0; i < registers_.size(); ++i)
    if (registers_[i].name == name) return i;
  return std::nullopt;
}

} // namespace xolstub::threads
