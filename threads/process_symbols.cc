#include "threads/process_symbols.h"

#include <elf.h>

#include <stdexcept>
#include <string>

#include "threads/auxv.h"
#include "threads/memory.h"
#include "threads/svr4_libraries.h"

namespace xolstub::threads {

ProcessSymbols::ProcessSymbols(pid_t pid, const ProcessMemory& memory) : pid_(pid), read_(reader_for(memory)) {
  std::optional<Svr4LibraryList> list = read_svr4_libraries(pid, memory);
  if (!list) return;
  for (const LinkMapEntry& entry : list->entries) {
    // An object whose dynamic section cannot be read is skipped, not fatal: the name may be
    // in another one.
    try {
      objects_.emplace_back(read_, entry.l_addr, entry.l_ld);
    } catch (const std::runtime_error&) {
    }
  }
}

ProcessSymbols::~ProcessSymbols() = default;

std::optional<std::uint64_t> ProcessSymbols::find(std::string_view name) {
  for (const DynamicSymbols& object : objects_) {
    try {
      if (auto address = object.find(name)) return address;
    } catch (const std::runtime_error&) {
    }
  }
  if (!file_tried_) {
    file_tried_ = true;
    try {
      file_ = std::make_unique<ElfFileSymbols>("/proc/" + std::to_string(pid_) + "/exe");
      // A static PIE runs away from its link-time addresses, by as much as its entry point.
      if (file_->type() == ET_DYN)
        if (auto entry = auxv_value(read_auxv(pid_), AT_ENTRY)) file_bias_ = *entry - file_->entry();
    } catch (const std::runtime_error&) {
      file_.reset();
    }
  }
  if (file_)
    if (auto value = file_->find(name)) return *value + file_bias_;
  return std::nullopt;
}

} // namespace xolstub::threads
