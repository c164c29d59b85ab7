// The register description LLDB reads (qXfer:features:read:target.xml from a client in LLDB's
// dialect): the same registers and numbers as GDB's, but described the way LLDB 14 wants them.
// LLDB takes no GDB types: each register says its encoding and format (a register whose type it
// cannot map, like GDB's v2ui128 for zmmNh, is "unavailable"), its group (`register read` shows
// the first, the general registers), and its DWARF number and generic role (pc, sp, fp, flags,
// argN) for unwinding and calls. LLDB builds eax/ax/al from these by itself.
#include <map>
#include <vector>
#include <string_view>

#include "stub/target_description.h"

namespace xolstub::stub {
namespace {

using threads::RegisterInfo;
using threads::RegisterLayout;

struct Role {
  int dwarf;
  std::string_view generic;  // empty: none
};

// The System V x86-64 DWARF numbers, and the roles LLDB's ABI plug-in looks for.
const std::map<std::string_view, Role>& roles() {
  static const std::map<std::string_view, Role> table = {
      {"rax", {0, ""}},       {"rdx", {1, "arg3"}},   {"rcx", {2, "arg4"}},   {"rbx", {3, ""}},
      {"rsi", {4, "arg2"}},   {"rdi", {5, "arg1"}},   {"rbp", {6, "fp"}},     {"rsp", {7, "sp"}},
      {"r8", {8, "arg5"}},    {"r9", {9, "arg6"}},    {"r10", {10, ""}},      {"r11", {11, ""}},
      {"r12", {12, ""}},      {"r13", {13, ""}},      {"r14", {14, ""}},      {"r15", {15, ""}},
      {"rip", {16, "pc"}},    {"eflags", {49, "flags"}}, {"es", {50, ""}},    {"cs", {51, ""}},
      {"ss", {52, ""}},       {"ds", {53, ""}},       {"fs", {54, ""}},       {"gs", {55, ""}},
      {"fs_base", {58, ""}},  {"gs_base", {59, ""}},  {"mxcsr", {64, ""}},    {"fctrl", {65, ""}},
      {"fstat", {66, ""}},
  };
  return table;
}

std::optional<int> dwarf_number(const std::string& name) {
  if (auto role = roles().find(name); role != roles().end()) return role->second.dwarf;
  // xmm0-15 are 17-32, xmm16-31 67-82, st0-7 33-40, k0-7 118-125.
  auto numbered = [&](std::string_view prefix) -> std::optional<int> {
    if (!name.starts_with(prefix) || name.size() == prefix.size()) return std::nullopt;
    std::string_view digits = std::string_view(name).substr(prefix.size());
    if (digits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    return std::stoi(std::string(digits));
  };
  if (auto i = numbered("xmm")) return *i < 16 ? 17 + *i : 67 + (*i - 16);
  if (auto i = numbered("st")) return 33 + *i;
  if (auto i = numbered("k")) return 118 + *i;
  return std::nullopt;
}

bool is_vector(const RegisterInfo& info) {
  return info.type == "vec128" || info.type == "uint128" || info.type == "v2ui128" || info.type == "i387_ext";
}

std::string_view group_of(const RegisterInfo& info) {
  if (info.feature == RegisterLayout::avx_feature) return "Advanced Vector Extensions";
  if (info.feature == RegisterLayout::avx512_feature) return "AVX-512 Registers";
  if (info.feature == RegisterLayout::pkeys_feature) return "Memory Protection Keys";
  if (info.feature == RegisterLayout::sse_feature || info.group == "float" || info.type == "i387_ext")
    return "Floating Point Registers";
  return "General Purpose Registers";
}

void append_register(std::string& xml, const RegisterInfo& info, unsigned regno) {
  // LLDB's users and its ABI know the 64-bit flags register as rflags.
  std::string name = info.name == "eflags" ? "rflags" : info.name;
  xml += "<reg name=\"" + name + "\" bitsize=\"" + std::to_string(info.bitsize) + "\" regnum=\"" +
         std::to_string(regno) + "\" offset=\"" + std::to_string(info.offset) + "\"";
  xml += is_vector(info) ? " encoding=\"vector\" format=\"vector-uint8\"" : " encoding=\"uint\" format=\"hex\"";
  xml += " group=\"" + std::string(group_of(info)) + "\"";
  if (auto dwarf = dwarf_number(info.name))
    xml += " ehframe_regnum=\"" + std::to_string(*dwarf) + "\" dwarf_regnum=\"" + std::to_string(*dwarf) + "\"";
  if (auto role = roles().find(info.name); role != roles().end() && !role->second.generic.empty())
    xml += " generic=\"" + std::string(role->second.generic) + "\"";
  xml += "/>\n";
}

} // namespace

// ymm16-31 and zmmN as registers made of their parts (value_regnums: read and written
// through them), numbered after the real ones: LLDB 14 builds ymm0-15 by itself, no others.
void append_composite(std::string& xml, unsigned& regno, const std::string& name, unsigned bitsize,
                      const RegisterLayout& layout, const std::vector<std::string>& parts) {
  std::string numbers;
  for (const auto& part : parts) {
    auto found = layout.find(part);
    if (!found) return;  // the CPU has no such register
    numbers += (numbers.empty() ? "" : ",") + std::to_string(*found);
  }
  xml += "<reg name=\"" + name + "\" bitsize=\"" + std::to_string(bitsize) + "\" regnum=\"" + std::to_string(regno++) +
         "\" offset=\"" + std::to_string(layout.at(*layout.find(parts.front())).offset) +
         "\" encoding=\"vector\" format=\"vector-uint8\" group=\"" +
         (bitsize == 256 ? "Advanced Vector Extensions" : "AVX-512 Registers") + "\" value_regnums=\"" + numbers + "\"/>\n";
}

void append_composites(std::string& xml, const RegisterLayout& layout) {
  unsigned regno = static_cast<unsigned>(layout.size());
  for (unsigned i = 16; i < 32; ++i) {  // LLDB builds ymm0-15 (and eax, ax, al...) itself
    std::string n = std::to_string(i);
    append_composite(xml, regno, "ymm" + n, 256, layout, {"xmm" + n, "ymm" + n + "h"});
  }
  for (unsigned i = 0; i < 32; ++i) {
    std::string n = std::to_string(i);
    append_composite(xml, regno, "zmm" + n, 512, layout, {"xmm" + n, "ymm" + n + "h", "zmm" + n + "h"});
  }
}

std::string lldb_target_description_xml(const RegisterLayout& layout) {
  std::string xml = "<?xml version=\"1.0\"?>\n<target version=\"1.0\">\n<architecture>x86_64</architecture>\n<feature>\n";
  const auto registers = layout.registers();
  for (unsigned regno = 0; regno < registers.size(); ++regno) append_register(xml, registers[regno], regno);
  append_composites(xml, layout);
  return xml + "</feature>\n</target>\n";
}

} // namespace xolstub::stub
