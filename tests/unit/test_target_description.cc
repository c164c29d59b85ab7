// target.xml: well-formed, self-contained, and naming every register of the layout with the
// layout's number, in the feature GDB expects it in, with its type defined where GDB looks.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "stub/target_description.h"
#include "threads/register_layout.h"

using namespace xolstub;
using threads::RegisterLayout;
using threads::XsaveComponent;
using threads::XsaveLayout;

namespace {

struct Element {
  std::string name;
  std::map<std::string, std::string> attributes;
  std::string feature;  // the enclosing <feature name=...>
};

// A small checker for the XML subset we write: nested elements with quoted attributes,
// self-closing tags, a prolog and a DOCTYPE. FAILs on anything unbalanced.
std::vector<Element> parse(const std::string& xml) {
  std::vector<Element> elements;
  std::vector<std::string> open;
  std::string feature;
  std::size_t pos = 0;
  while ((pos = xml.find('<', pos)) != std::string::npos) {
    const std::size_t end = xml.find('>', pos);
    REQUIRE(end != std::string::npos);
    std::string tag = xml.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    if (tag.starts_with("?") || tag.starts_with("!")) continue;
    if (tag.starts_with("/")) {
      REQUIRE_FALSE(open.empty());
      CHECK(open.back() == tag.substr(1));
      if (open.back() == "feature") feature.clear();
      open.pop_back();
      continue;
    }
    const bool self_closing = tag.ends_with("/");
    if (self_closing) tag.pop_back();
    Element element;
    std::size_t i = tag.find_first_of(" \n");
    element.name = tag.substr(0, i);
    while (i != std::string::npos && i < tag.size()) {
      const std::size_t eq = tag.find('=', i);
      if (eq == std::string::npos) break;
      const std::string key = tag.substr(tag.find_first_not_of(" \n", i), eq - tag.find_first_not_of(" \n", i));
      REQUIRE(tag[eq + 1] == '"');
      const std::size_t close = tag.find('"', eq + 2);
      REQUIRE(close != std::string::npos);
      CHECK(element.attributes.count(key) == 0);
      element.attributes[key] = tag.substr(eq + 2, close - eq - 2);
      i = close + 1;
    }
    if (element.name == "feature") {
      CHECK(feature.empty());  // features do not nest
      feature = element.attributes["name"];
    }
    element.feature = feature;
    elements.push_back(element);
    if (!self_closing) open.push_back(element.name);
  }
  CHECK(open.empty());
  return elements;
}

// Types GDB knows without a definition (gdbsupport/tdesc.cc).
const std::set<std::string> predefined = {"int8",  "int16",  "int32",    "int64",    "int128",
                                          "uint8", "uint16", "uint32",   "uint64",   "uint128",
                                          "code_ptr", "data_ptr", "ieee_half", "ieee_single",
                                          "ieee_double", "i387_ext", "bfloat16", "int", "bool"};

void check_description(const RegisterLayout& layout) {
  const std::string xml = stub::target_description_xml(layout);
  CHECK(xml.starts_with("<?xml version=\"1.0\"?>"));
  CHECK(xml.find("<architecture>i386:x86-64</architecture>") != std::string::npos);
  CHECK(xml.find("<osabi>GNU/Linux</osabi>") != std::string::npos);
  CHECK(xml.find("include") == std::string::npos);  // one object, no xi:include

  const std::vector<Element> elements = parse(xml);
  REQUIRE_FALSE(elements.empty());
  CHECK(elements.front().name == "target");

  std::vector<std::string> features;
  std::map<std::string, std::set<std::string>> types_of;  // feature -> ids defined in it
  std::vector<Element> registers;
  for (const Element& e : elements) {
    if (e.name == "feature") features.push_back(e.attributes.at("name"));
    if (e.name == "vector" || e.name == "union" || e.name == "flags" || e.name == "struct") {
      CHECK(types_of[e.feature].insert(e.attributes.at("id")).second);
      // A type is defined before any register of its feature uses it.
      for (const Element& r : registers) CHECK(r.feature != e.feature);
    }
    if (e.name == "reg") registers.push_back(e);
  }
  CHECK(std::set<std::string>(features.begin(), features.end()).size() == features.size());

  REQUIRE(registers.size() == layout.size());
  for (unsigned regno = 0; regno < layout.size(); ++regno) {
    const auto& info = layout.at(regno);
    const Element& reg = registers[regno];
    CAPTURE(info.name);
    CHECK(reg.attributes.at("name") == info.name);
    CHECK(reg.attributes.at("regnum") == std::to_string(regno));
    CHECK(reg.attributes.at("bitsize") == std::to_string(info.bitsize));
    CHECK(reg.attributes.at("type") == info.type);
    CHECK(reg.feature == info.feature);
    if (info.group.empty())
      CHECK(reg.attributes.count("group") == 0);
    else
      CHECK(reg.attributes.at("group") == info.group);
    CHECK((predefined.count(info.type) || types_of[reg.feature].count(info.type)));
  }
}

} // namespace

TEST_CASE("target.xml for a CPU with only x87 and SSE") {
  const RegisterLayout layout(XsaveLayout::make(0x3, {}));
  check_description(layout);
  const std::string xml = stub::target_description_xml(layout);
  CHECK(xml.find("org.gnu.gdb.i386.avx") == std::string::npos);
  CHECK(xml.find("org.gnu.gdb.i386.pkeys") == std::string::npos);
  CHECK(xml.find("<reg name=\"orig_rax\" bitsize=\"64\" type=\"int\" regnum=\"57\"/>") != std::string::npos);
}

TEST_CASE("target.xml for an AVX-512 CPU with protection keys") {
  std::array<XsaveComponent, 64> places{};
  places[XsaveLayout::avx] = {576, 256};
  places[XsaveLayout::opmask] = {1088, 64};
  places[XsaveLayout::zmm_hi256] = {1152, 512};
  places[XsaveLayout::hi16_zmm] = {1664, 1024};
  places[XsaveLayout::pkru] = {2688, 8};
  const RegisterLayout layout(XsaveLayout::make(0x2e7, places));
  check_description(layout);
  const std::string xml = stub::target_description_xml(layout);
  const auto at = [&](std::string_view text) { return xml.find(text); };
  // GDB validates features in this order of dependency; keep gdbserver's order.
  CHECK(at("\"org.gnu.gdb.i386.core\"") < at("\"org.gnu.gdb.i386.sse\""));
  CHECK(at("\"org.gnu.gdb.i386.sse\"") < at("\"org.gnu.gdb.i386.linux\""));
  CHECK(at("\"org.gnu.gdb.i386.linux\"") < at("\"org.gnu.gdb.i386.segments\""));
  CHECK(at("\"org.gnu.gdb.i386.segments\"") < at("\"org.gnu.gdb.i386.avx\""));
  CHECK(at("\"org.gnu.gdb.i386.avx\"") < at("\"org.gnu.gdb.i386.avx512\""));
  CHECK(at("\"org.gnu.gdb.i386.avx512\"") < at("\"org.gnu.gdb.i386.pkeys\""));
  CHECK(at("<reg name=\"zmm31h\" bitsize=\"256\" type=\"v2ui128\" regnum=\"147\"/>") != std::string::npos);
  CHECK(at("<reg name=\"k1\" bitsize=\"64\" type=\"uint64\" regnum=\"109\"/>") != std::string::npos);
  CHECK(at("<reg name=\"pkru\" bitsize=\"32\" type=\"uint32\" regnum=\"148\"/>") != std::string::npos);
}

TEST_CASE("target.xml for this CPU") {
  check_description(RegisterLayout::host());
}
