#include "rsp/hex.h"
#include "tests/differential/corpus.h"

#include <link.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "tests/differential/elf_sections.h"
#include "tests/differential/generated_forms.h"
#include "tests/differential/layout.h"
#include "tests/differential/rip_relative.h"

namespace xolstub::differential {
namespace {

std::string hex(std::uint64_t value) { return "0x" + rsp::hex_number(value); }

int collect_library(dl_phdr_info* info, std::size_t, void* data) {
  auto& paths = *static_cast<std::vector<std::string>*>(data);
  if (info->dlpi_name && info->dlpi_name[0]) paths.push_back(info->dlpi_name);
  return 0;
}

} // namespace

std::vector<std::string> default_libraries() {
  std::vector<std::string> loaded;
  dl_iterate_phdr(collect_library, &loaded);
  std::vector<std::string> out;
  for (const char* wanted : {"libc.so.6", "ld-linux-x86-64.so.2", "libstdc++.so.6"}) {
    std::string found;
    for (const std::string& path : loaded)
      if (std::filesystem::path(path).filename() == wanted) found = path;
    if (found.empty())
      throw std::runtime_error(std::string("cannot find ") + wanted +
                               " among this program's libraries (is it linked dynamically, with g++?)");
    out.push_back(std::filesystem::canonical(found).string());
  }
  return out;
}

void CorpusBuilder::add_library(const std::string& path) {
  LibraryStats stats;
  stats.path = path;
  const std::string name = std::filesystem::path(path).filename().string();
  for (const CodeSection& section : executable_sections(path)) {
    std::span<const std::uint8_t> rest(section.bytes);
    std::uint64_t address = section.address;
    while (!rest.empty()) {
      std::optional<DecodedInstruction> insn = disassembler_.decode(rest.first(std::min<std::size_t>(rest.size(), 15)), address);
      if (!insn) {
        ++stats.undecodable_bytes;
        rest = rest.subspan(1);
        ++address;
        continue;
      }
      ++stats.instructions;
      std::vector<std::uint8_t> bytes = aim_at_scratch(*insn);
      if (seen_.emplace(reinterpret_cast<const char*>(bytes.data()), bytes.size()).second) {
        corpus_.encodings.push_back({std::move(bytes), name + "+" + hex(address), false});
        ++stats.new_encodings;
      }
      rest = rest.subspan(insn->bytes.size());
      address += insn->bytes.size();
    }
  }
  corpus_.libraries.push_back(stats);
}

void CorpusBuilder::add_generated() {
  for (const GeneratedForm& form : generated_forms()) {
    std::optional<DecodedInstruction> insn = disassembler_.decode(form.bytes, layout::site);
    if (!form.capstone_decodes) {
      if (insn)
        throw std::runtime_error("generated form `" + form.text + "` is marked undecodable, but Capstone decodes it as `" +
                                 insn->text + "`: update generated_forms.cc");
      corpus_.encodings.push_back({aim_at_scratch(form.bytes, form.disp_offset), form.text, true});
      ++corpus_.generated;
      continue;
    }
    std::string text = insn ? insn->text : "nothing";
    if (std::size_t disp = text.find("0x11223344"); disp != std::string::npos) text.replace(disp, 10, "disp32");
    if (!insn || insn->bytes.size() != form.bytes.size() || text != form.text)
      throw std::runtime_error("generated form `" + form.text + "` (" + std::to_string(form.bytes.size()) +
                               " bytes) decodes as `" + text + "` (" + std::to_string(insn ? insn->bytes.size() : 0) +
                               " bytes): fix generated_forms.cc");
    corpus_.encodings.push_back({aim_at_scratch(*insn), form.text, true});
    ++corpus_.generated;
  }
}

} // namespace xolstub::differential
