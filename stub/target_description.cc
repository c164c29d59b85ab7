#include "stub/target_description.h"

#include <string_view>

namespace xolstub::stub {

namespace {

using threads::RegisterInfo;
using threads::RegisterLayout;

// GDB looks a register's type up in the register's own feature (then among its predefined
// types), so each feature defines the types its registers use, as GDB's
// features/i386/64bit-*.xml do.
constexpr std::string_view eflags_type = R"(    <flags id="i386_eflags" size="4">
      <field name="CF" start="0" end="0"/>
      <field name="" start="1" end="1"/>
      <field name="PF" start="2" end="2"/>
      <field name="AF" start="4" end="4"/>
      <field name="ZF" start="6" end="6"/>
      <field name="SF" start="7" end="7"/>
      <field name="TF" start="8" end="8"/>
      <field name="IF" start="9" end="9"/>
      <field name="DF" start="10" end="10"/>
      <field name="OF" start="11" end="11"/>
      <field name="NT" start="14" end="14"/>
      <field name="RF" start="16" end="16"/>
      <field name="VM" start="17" end="17"/>
      <field name="AC" start="18" end="18"/>
      <field name="VIF" start="19" end="19"/>
      <field name="VIP" start="20" end="20"/>
      <field name="ID" start="21" end="21"/>
    </flags>
)";

// The views GDB offers of a 128-bit vector register ($xmm0.v4_float and so on).
constexpr std::string_view vec128_type = R"(    <vector id="v8bf16" type="bfloat16" count="8"/>
    <vector id="v8h" type="ieee_half" count="8"/>
    <vector id="v4f" type="ieee_single" count="4"/>
    <vector id="v2d" type="ieee_double" count="2"/>
    <vector id="v16i8" type="int8" count="16"/>
    <vector id="v8i16" type="int16" count="8"/>
    <vector id="v4i32" type="int32" count="4"/>
    <vector id="v2i64" type="int64" count="2"/>
    <union id="vec128">
      <field name="v8_bfloat16" type="v8bf16"/>
      <field name="v8_half" type="v8h"/>
      <field name="v4_float" type="v4f"/>
      <field name="v2_double" type="v2d"/>
      <field name="v16_int8" type="v16i8"/>
      <field name="v8_int16" type="v8i16"/>
      <field name="v4_int32" type="v4i32"/>
      <field name="v2_int64" type="v2i64"/>
      <field name="uint128" type="uint128"/>
    </union>
)";

constexpr std::string_view mxcsr_type = R"(    <flags id="i386_mxcsr" size="4">
      <field name="IE" start="0" end="0"/>
      <field name="DE" start="1" end="1"/>
      <field name="ZE" start="2" end="2"/>
      <field name="OE" start="3" end="3"/>
      <field name="UE" start="4" end="4"/>
      <field name="PE" start="5" end="5"/>
      <field name="DAZ" start="6" end="6"/>
      <field name="IM" start="7" end="7"/>
      <field name="DM" start="8" end="8"/>
      <field name="ZM" start="9" end="9"/>
      <field name="OM" start="10" end="10"/>
      <field name="UM" start="11" end="11"/>
      <field name="PM" start="12" end="12"/>
      <field name="FZ" start="15" end="15"/>
    </flags>
)";

// The upper 256 bits of a zmm register; GDB assembles $zmmN from xmm, ymmh and zmmh.
constexpr std::string_view zmmh_type = R"(    <vector id="v2ui128" type="uint128" count="2"/>
)";

std::string feature_types(std::string_view feature) {
  if (feature == RegisterLayout::core_feature) return std::string(eflags_type);
  if (feature == RegisterLayout::sse_feature) return std::string(vec128_type) + std::string(mxcsr_type);
  if (feature == RegisterLayout::avx512_feature) return std::string(vec128_type) + std::string(zmmh_type);
  return {};
}

void append_register(std::string& xml, const RegisterInfo& info, unsigned regno) {
  xml += "    <reg name=\"" + info.name + "\" bitsize=\"" + std::to_string(info.bitsize) +
         "\" type=\"" + info.type + "\" regnum=\"" + std::to_string(regno) + "\"";
  if (!info.group.empty()) xml += " group=\"" + info.group + "\"";
  xml += "/>\n";
}

} // namespace

std::string target_description_xml(const RegisterLayout& layout) {
  std::string xml =
      "<?xml version=\"1.0\"?>\n"
      "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
      "<target version=\"1.0\">\n"
      "  <architecture>i386:x86-64</architecture>\n"
      "  <osabi>GNU/Linux</osabi>\n";
  // The layout keeps each feature's registers together, so a feature ends where the next
  // register names another one.
  std::string_view open;
  const auto registers = layout.registers();
  for (unsigned regno = 0; regno < registers.size(); ++regno) {
    const RegisterInfo& info = registers[regno];
    if (info.feature != open) {
      if (!open.empty()) xml += "  </feature>\n";
      open = info.feature;
      xml += "  <feature name=\"" + info.feature + "\">\n" + feature_types(open);
    }
    append_register(xml, info, regno);
  }
  if (!open.empty()) xml += "  </feature>\n";
  xml += "</target>\n";
  return xml;
}

} // namespace xolstub::stub
