#include "threads/dynamic_symbols.h"

#include <elf.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace xolstub::threads {
namespace {

// Bounds against a corrupt or hostile inferior: real objects stay far below them.
constexpr std::size_t max_dynamic_entries = 1 << 16;
constexpr std::size_t max_chain_steps = 1 << 20;

} // namespace

DynamicSymbols::DynamicSymbols(MemoryReader read, std::uint64_t l_addr, std::uint64_t l_ld)
    : read_(std::move(read)), l_addr_(l_addr) {
  if (l_ld == 0) return;  // no dynamic section: nothing to find
  // ld.so rewrites the address entries of a writable dynamic section in place to run-time
  // addresses (elf_get_dynamic_info), but leaves a read-only one, such as the vDSO's, with
  // link-time addresses. Objects are linked at or near 0 and loaded far above it, so a value
  // below the load bias has not been relocated yet.
  auto runtime = [&](std::uint64_t pointer) { return pointer < l_addr_ ? pointer + l_addr_ : pointer; };
  constexpr std::size_t batch = 32;  // one read covers a typical dynamic section
  Elf64_Dyn entries[batch];
  for (std::size_t index = 0; index < max_dynamic_entries; index += batch) {
    std::uint64_t address = l_ld + index * sizeof(Elf64_Dyn);
    std::size_t count = read_(address, std::span(reinterpret_cast<std::uint8_t*>(entries), sizeof entries)) / sizeof(Elf64_Dyn);
    if (count == 0 && index == 0) throw std::runtime_error("cannot read the dynamic section at " + hex_address(address));
    for (std::size_t i = 0; i < count; ++i) {
      const Elf64_Dyn& entry = entries[i];
      switch (entry.d_tag) {
      case DT_NULL: return;
      case DT_SYMTAB: symtab_ = runtime(entry.d_un.d_ptr); break;
      case DT_STRTAB: strtab_ = runtime(entry.d_un.d_ptr); break;
      case DT_STRSZ: strsz_ = entry.d_un.d_val; break;
      case DT_SYMENT: syment_ = entry.d_un.d_val; break;
      case DT_GNU_HASH: gnu_hash_ = runtime(entry.d_un.d_ptr); break;
      case DT_HASH: sysv_hash_ = runtime(entry.d_un.d_ptr); break;
      default: break;
      }
    }
    // A section that runs into unmapped memory before DT_NULL: keep what was read.
    if (count < batch) return;
  }
}

std::uint32_t DynamicSymbols::gnu_hash(std::string_view name) {
  std::uint32_t hash = 5381;
  for (unsigned char c : name) hash = hash * 33 + c;
  return hash;
}

std::uint32_t DynamicSymbols::sysv_hash(std::string_view name) {
  std::uint32_t hash = 0;
  for (unsigned char c : name) {
    hash = (hash << 4) + c;
    std::uint32_t high = hash & 0xf0000000;
    if (high) hash ^= high >> 24;
    hash &= ~high;
  }
  return hash;
}

std::uint32_t DynamicSymbols::word(std::uint64_t address) const {
  return static_cast<std::uint32_t>(read_unsigned(read_, address, 4, "the dynamic symbol hash table"));
}

std::optional<std::uint64_t> DynamicSymbols::find(std::string_view name) const {
  if (symtab_ == 0 || strtab_ == 0 || (syment_ != 0 && syment_ < sizeof(Elf64_Sym))) return std::nullopt;
  if (gnu_hash_ != 0) return find_gnu(name);
  if (sysv_hash_ != 0) return find_sysv(name);
  return std::nullopt;
}

// DT_GNU_HASH: nbuckets, symoffset, bloom_size, bloom_shift; a Bloom filter of bloom_size
// 64-bit words; nbuckets bucket heads (the first symbol index with that hash modulo nbuckets);
// then one hash value per symbol from symoffset on, the last of each bucket's run with bit 0
// set.
std::optional<std::uint64_t> DynamicSymbols::find_gnu(std::string_view name) const {
  std::uint32_t nbuckets = word(gnu_hash_);
  std::uint32_t symoffset = word(gnu_hash_ + 4);
  std::uint32_t bloom_size = word(gnu_hash_ + 8);
  std::uint32_t bloom_shift = word(gnu_hash_ + 12);
  if (nbuckets == 0) return std::nullopt;
  std::uint32_t hash = gnu_hash(name);
  std::uint64_t bloom = gnu_hash_ + 16;
  if (bloom_size != 0) {
    std::uint64_t bits = read_unsigned(read_, bloom + 8 * ((hash / 64) % bloom_size), 8, "the GNU hash Bloom filter");
    std::uint64_t mask = (std::uint64_t{1} << (hash % 64)) | (std::uint64_t{1} << ((hash >> (bloom_shift % 32)) % 64));
    if ((bits & mask) != mask) return std::nullopt;
  }
  std::uint64_t buckets = bloom + 8ull * bloom_size;
  std::uint64_t chains = buckets + 4ull * nbuckets;
  std::uint32_t index = word(buckets + 4ull * (hash % nbuckets));
  if (index == 0 || index < symoffset) return std::nullopt;
  for (std::size_t step = 0; step < max_chain_steps; ++step, ++index) {
    std::uint32_t chain_hash = word(chains + 4ull * (index - symoffset));
    if ((chain_hash | 1) == (hash | 1))
      if (auto address = match(index, name)) return address;
    if (chain_hash & 1) break;
  }
  return std::nullopt;
}

// DT_HASH: nbucket, nchain, the buckets, then chain[symbol] = the next symbol of its bucket.
std::optional<std::uint64_t> DynamicSymbols::find_sysv(std::string_view name) const {
  std::uint32_t nbucket = word(sysv_hash_);
  std::uint32_t nchain = word(sysv_hash_ + 4);
  if (nbucket == 0) return std::nullopt;
  std::uint64_t buckets = sysv_hash_ + 8;
  std::uint64_t chain = buckets + 4ull * nbucket;
  std::uint32_t index = word(buckets + 4ull * (sysv_hash(name) % nbucket));
  for (std::size_t step = 0; index != STN_UNDEF && index < nchain && step < max_chain_steps; ++step) {
    if (auto address = match(index, name)) return address;
    index = word(chain + 4ull * index);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> DynamicSymbols::match(std::uint32_t index, std::string_view name) const {
  Elf64_Sym symbol;
  std::uint64_t address = symtab_ + index * (syment_ ? syment_ : sizeof(Elf64_Sym));
  if (read_(address, std::span(reinterpret_cast<std::uint8_t*>(&symbol), sizeof symbol)) != sizeof symbol)
    throw std::runtime_error("cannot read dynamic symbol " + std::to_string(index) + " at " + hex_address(address));
  if (symbol.st_shndx == SHN_UNDEF) return std::nullopt;
  if (strsz_ != 0 && symbol.st_name + name.size() >= strsz_) return std::nullopt;
  // The name and its terminating NUL.
  std::vector<std::uint8_t> text(name.size() + 1);
  if (read_(strtab_ + symbol.st_name, text) != text.size()) return std::nullopt;
  if (text.back() != 0 || std::memcmp(text.data(), name.data(), name.size()) != 0) return std::nullopt;
  return symbol.st_shndx == SHN_ABS ? symbol.st_value : symbol.st_value + l_addr_;
}

} // namespace xolstub::threads
