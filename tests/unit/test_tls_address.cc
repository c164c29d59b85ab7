// Thread-local storage addresses (qGetTLSAddr) without a traced process: the hash functions,
// dynamic symbol lookup and glibc's libthread_db descriptors on this test's own process, the
// whole walk against what glibc itself says (&variable, __errno_location, dl_iterate_phdr's
// dlpi_tls_data) in two threads, and every way the walk can end without an address on a fake
// memory laid out as glibc 2.36 lays it out.
#include <doctest/doctest.h>

#include <asm/prctl.h>
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <string>
#include <thread>

#include "threads/dynamic_symbols.h"
#include "threads/memory.h"
#include "threads/process_symbols.h"
#include "threads/thread_db_layout.h"
#include "threads/tls_address.h"

using namespace xolstub;
using threads::DynamicSymbols;
using threads::ThreadDbField;
using threads::ThreadDbLayout;
using threads::TlsError;

__thread int unit_tls_variable = 42;

namespace {

std::uint64_t thread_pointer() {
  unsigned long fs = 0;
  REQUIRE(::syscall(SYS_arch_prctl, ARCH_GET_FS, &fs) == 0);
  return fs;
}

const link_map* find_link_map(const char* fragment) {
  for (const link_map* map = _r_debug.r_map; map; map = map->l_next)
    if (std::strstr(map->l_name, fragment)) return map;
  return nullptr;
}

const link_map* main_link_map() { return _r_debug.r_map; }

// The calling thread's TLS block of the object loaded at `l_addr`, as glibc reports it.
std::uint64_t own_tls_block(std::uint64_t l_addr) {
  struct Query {
    std::uint64_t l_addr;
    std::uint64_t block;
  } query{l_addr, 0};
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        auto* q = static_cast<Query*>(data);
        if (info->dlpi_addr != q->l_addr) return 0;
        q->block = reinterpret_cast<std::uint64_t>(info->dlpi_tls_data);
        return 1;
      },
      &query);
  return query.block;
}

std::uint64_t address_of(const void* pointer) { return reinterpret_cast<std::uint64_t>(pointer); }

// The layout of this process's glibc, found the way the stub finds the inferior's.
struct OwnProcess {
  threads::ProcessMemory memory{::getpid()};
  threads::MemoryReader read = threads::reader_for(memory);
  threads::ProcessSymbols symbols{::getpid(), memory};
  ThreadDbLayout layout = threads::read_thread_db_layout(read, [this](std::string_view name) { return symbols.find(name); });
};

// Sparse little-endian memory for the fake-process tests.
class FakeMemory {
public:
  void put(std::uint64_t address, std::uint64_t value) {
    for (int i = 0; i < 8; ++i) bytes_[address + i] = static_cast<std::uint8_t>(value >> (8 * i));
  }
  std::size_t read(std::uint64_t address, std::span<std::uint8_t> out) const {
    for (std::size_t i = 0; i < out.size(); ++i) {
      auto it = bytes_.find(address + i);
      if (it == bytes_.end()) return i;
      out[i] = it->second;
    }
    return out.size();
  }
  threads::MemoryReader reader() const {
    return [this](std::uint64_t address, std::span<std::uint8_t> out) { return read(address, out); };
  }

private:
  std::map<std::uint64_t, std::uint8_t> bytes_;
};

ThreadDbField field(std::uint32_t bits, std::uint32_t count, std::uint32_t offset) {
  return ThreadDbField{bits, count, offset, "_thread_db_test"};
}

// What libc.so.6 of glibc 2.36 on x86-64 says (readelf + the descriptors' bytes).
ThreadDbLayout glibc_236_layout(std::uint64_t list_head) {
  ThreadDbLayout layout;
  layout.pthread_dtvp = field(64, 1, 8);
  layout.dtv_dtv = field(128, 134217727, 0);
  layout.dtv_t_counter = field(64, 1, 0);
  layout.dtv_t_pointer_val = field(64, 1, 0);
  layout.link_map_l_tls_modid = field(64, 1, 1152);
  layout.link_map_l_tls_offset = field(64, 1, 1144);
  layout.dtv_slotinfo_list_len = field(64, 1, 0);
  layout.dtv_slotinfo_list_next = field(64, 1, 8);
  layout.dtv_slotinfo_list_slotinfo = field(128, 0, 16);
  layout.dtv_slotinfo_gen = field(64, 1, 0);
  layout.dtv_slotinfo_map = field(64, 1, 8);
  layout.slotinfo_list_head = list_head;
  layout.slotinfo_list_head_field = field(64, 1, 0);
  return layout;
}

// A fake process: two slotinfo chunks (modules 0-1 and 2-3), module 1 = the executable (static
// TLS), module 3 = a dlopen'ed library (dynamic TLS), and one thread.
struct FakeProcess {
  static constexpr std::uint64_t head = 0x1000;
  static constexpr std::uint64_t chunk1 = 0x2000, chunk2 = 0x3000;
  static constexpr std::uint64_t exe_lm = 0x10000, lib_lm = 0x20000;
  static constexpr std::uint64_t tp = 0x7000'0000;  // struct pthread
  static constexpr std::uint64_t dtv = 0x8000;
  static constexpr std::uint64_t exe_block = tp - 0x40, lib_block = 0x9000;

  FakeMemory memory;
  ThreadDbLayout layout = glibc_236_layout(head);

  FakeProcess() {
    memory.put(head, chunk1);
    memory.put(chunk1 + 0, 2);        // len
    memory.put(chunk1 + 8, chunk2);   // next
    slot(chunk1, 0, 0, 0);
    slot(chunk1, 1, 0, exe_lm);
    memory.put(chunk2 + 0, 2);
    memory.put(chunk2 + 8, 0);
    slot(chunk2, 0, 0, 0);            // module 2: a free slot
    slot(chunk2, 1, 2, lib_lm);       // module 3 arrived at generation 2
    memory.put(exe_lm + 1152, 1);     // l_tls_modid
    memory.put(exe_lm + 1144, 0x40);  // l_tls_offset: static TLS, 0x40 below tp
    memory.put(lib_lm + 1152, 3);
    memory.put(lib_lm + 1144, 0);     // NO_TLS_OFFSET: dynamic TLS only
    memory.put(tp + 8, dtv);
    dtv_entry(0, 2);                  // generation 2
    dtv_entry(1, exe_block);
    dtv_entry(3, lib_block);
  }
  void slot(std::uint64_t chunk, std::uint64_t index, std::uint64_t gen, std::uint64_t map) {
    memory.put(chunk + 16 + index * 16, gen);
    memory.put(chunk + 16 + index * 16 + 8, map);
  }
  void dtv_entry(std::uint64_t index, std::uint64_t value) { memory.put(dtv + index * 16, value); }
  std::uint64_t address(std::uint64_t lm, std::uint64_t offset, std::uint64_t thread = tp) {
    return threads::tls_address(memory.reader(), layout, thread, lm, offset);
  }
};

std::string error_of(FakeProcess& process, std::uint64_t lm, std::uint64_t thread = FakeProcess::tp) {
  try {
    process.address(lm, 4, thread);
  } catch (const TlsError& error) {
    return error.what();
  }
  return "no TlsError";
}

} // namespace

TEST_CASE("the ELF hash functions") {
  CHECK(DynamicSymbols::gnu_hash("") == 5381);
  CHECK(DynamicSymbols::gnu_hash("printf") == 0x156b2bb8);
  CHECK(DynamicSymbols::gnu_hash("exit") == 0x7c967e3f);
  CHECK(DynamicSymbols::sysv_hash("printf") == 0x077905a6);
  CHECK(DynamicSymbols::sysv_hash("exit") == 0x0006cf04);
}

TEST_CASE("dynamic symbols are found in memory as dlsym finds them") {
  threads::ProcessMemory memory(::getpid());
  const link_map* libc = find_link_map("libc.so");
  REQUIRE(libc);
  DynamicSymbols symbols(threads::reader_for(memory), libc->l_addr, address_of(libc->l_ld));
  void* handle = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  REQUIRE(handle);
  for (const char* name : {"printf", "_thread_db_pthread_dtvp", "_thread_db_link_map_l_tls_modid", "__nptl_rtld_global"})
    CHECK_MESSAGE(symbols.find(name) == address_of(dlsym(handle, name)), name);
  CHECK_FALSE(symbols.find("no_such_symbol_in_libc"));
  CHECK_FALSE(symbols.find("printf_"));
  CHECK_FALSE(symbols.find("print"));
  dlclose(handle);
}

TEST_CASE("the vDSO's read-only dynamic section still has link-time addresses") {
  std::uint64_t vdso = getauxval(AT_SYSINFO_EHDR);
  const link_map* map = find_link_map("linux-vdso");
  if (!vdso || !map) return;  // no vDSO, or glibc did not list it
  threads::ProcessMemory memory(::getpid());
  DynamicSymbols symbols(threads::reader_for(memory), map->l_addr, address_of(map->l_ld));
  auto found = symbols.find("__vdso_clock_gettime");
  REQUIRE(found);
  CHECK(*found > vdso);
  CHECK(*found < vdso + 0x10000);
}

TEST_CASE("descriptor fields: parsing, element addresses, bounds") {
  const std::uint8_t bytes[12] = {128, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0};
  ThreadDbField slotinfo = ThreadDbField::parse(bytes, "_thread_db_dtv_slotinfo_list_slotinfo");
  CHECK(slotinfo.bits == 128);
  CHECK(slotinfo.count == 0);
  CHECK(slotinfo.offset == 16);
  CHECK(slotinfo.address(0x1000, 3) == 0x1000 + 16 + 3 * 16);  // open-ended: any index
  ThreadDbField bounded = field(64, 2, 8);
  CHECK(bounded.address(0x1000, 1) == 0x1010);
  CHECK_THROWS_WITH_AS(bounded.address(0x1000, 2), doctest::Contains("past the 2 elements"), std::runtime_error);
  CHECK_THROWS_AS(field(12, 1, 0).address(0), std::runtime_error);  // not whole bytes
}

TEST_CASE("this process's glibc describes itself, and the walk finds what glibc finds") {
  OwnProcess own;
  CHECK(own.layout.pthread_dtvp.bits == 64);
  CHECK(own.layout.dtv_dtv.bits == 128);  // 16-byte dtv_t on x86-64
  CHECK(own.layout.slotinfo_list_head != 0);

  const link_map* exe = main_link_map();
  const link_map* libc = find_link_map("libc.so");
  REQUIRE(libc);
  // Offsets in the blocks, from the main thread's view.
  std::uint64_t exe_offset = address_of(&unit_tls_variable) - own_tls_block(exe->l_addr);
  std::uint64_t errno_offset = address_of(__errno_location()) - own_tls_block(libc->l_addr);

  auto check_thread = [&](std::uint64_t exe_lm) {
    std::uint64_t tp = thread_pointer();
    CHECK(threads::tls_address(own.read, own.layout, tp, exe_lm, exe_offset) == address_of(&unit_tls_variable));
    CHECK(threads::tls_address(own.read, own.layout, tp, address_of(libc), errno_offset) ==
          address_of(__errno_location()));
  };
  SUBCASE("the executable by its link_map") {
    check_thread(address_of(exe));
    std::uint64_t main_errno = address_of(__errno_location());
    std::uint64_t other_errno = 0;
    std::thread([&] {
      check_thread(address_of(exe));
      other_errno = address_of(__errno_location());
    }).join();
    CHECK(other_errno != main_errno);
  }
  SUBCASE("a link_map that has no TLS") {
    const link_map* ld_so = find_link_map("ld-linux");
    REQUIRE(ld_so);
    // ld.so has no PT_TLS of its own.
    CHECK_THROWS_WITH_AS(threads::tls_address(own.read, own.layout, thread_pointer(), address_of(ld_so), 0),
                         doctest::Contains("no thread-local storage"), TlsError);
  }
}

TEST_CASE("TLS walk on a glibc 2.36 layout") {
  FakeProcess process;
  SUBCASE("a block in the DTV") {
    CHECK(process.address(FakeProcess::exe_lm, 4) == FakeProcess::exe_block + 4);
    CHECK(process.address(FakeProcess::lib_lm, 8) == FakeProcess::lib_block + 8);
  }
  SUBCASE("lm 0 is module 1, a static executable's") {
    CHECK(process.address(0, 4) == FakeProcess::exe_block + 4);
  }
  SUBCASE("an unallocated DTV entry of a static TLS module: thread pointer - l_tls_offset") {
    process.dtv_entry(1, ~std::uint64_t{0});  // TLS_DTV_UNALLOCATED
    CHECK(process.address(FakeProcess::exe_lm, 4) == FakeProcess::tp - 0x40 + 4);
  }
  SUBCASE("an unallocated DTV entry of a dynamic TLS module: not allocated yet") {
    process.dtv_entry(3, ~std::uint64_t{0});
    CHECK(error_of(process, FakeProcess::lib_lm).find("has not allocated its block of TLS module 3") != std::string::npos);
    process.dtv_entry(3, 0);
    CHECK(error_of(process, FakeProcess::lib_lm).find("has not allocated") != std::string::npos);
  }
  SUBCASE("a DTV older than the module is not looked at") {
    process.dtv_entry(0, 1);  // generation 1 < 2: slot 3 may be a dead module's
    CHECK(error_of(process, FakeProcess::lib_lm).find("has not allocated") != std::string::npos);
    CHECK(process.address(FakeProcess::exe_lm, 4) == FakeProcess::exe_block + 4);  // generation 0
  }
  SUBCASE("a link_map without TLS") {
    process.memory.put(FakeProcess::lib_lm + 1152, 0);
    CHECK(error_of(process, FakeProcess::lib_lm).find("l_tls_modid is 0") != std::string::npos);
  }
  SUBCASE("a thread without a thread pointer") {
    CHECK(error_of(process, FakeProcess::exe_lm, 0).find("fs_base is 0") != std::string::npos);
  }
  SUBCASE("a thread without a DTV") {
    process.memory.put(FakeProcess::tp + 8, 0);
    CHECK(error_of(process, FakeProcess::exe_lm).find("no DTV") != std::string::npos);
  }
  SUBCASE("a module id past the slotinfo list") {
    process.memory.put(FakeProcess::lib_lm + 1152, 4);
    CHECK(error_of(process, FakeProcess::lib_lm).find("not in the dynamic linker's slotinfo list") != std::string::npos);
  }
  SUBCASE("a free slot") {
    process.memory.put(FakeProcess::lib_lm + 1152, 2);
    CHECK(error_of(process, FakeProcess::lib_lm).find("is not loaded") != std::string::npos);
  }
  SUBCASE("a link_map the slot does not name") {
    process.slot(FakeProcess::chunk2, 1, 2, 0x30000);
    CHECK(error_of(process, FakeProcess::lib_lm).find("stale link_map") != std::string::npos);
  }
  SUBCASE("unreadable memory is an error, not an address") {
    CHECK_THROWS_WITH_AS(process.address(0x50000, 0), doctest::Contains("cannot read l_tls_modid"), std::runtime_error);
  }
}

TEST_CASE("a program without glibc's descriptors gets a message that says so") {
  FakeMemory memory;
  CHECK_THROWS_WITH_AS(
      threads::read_thread_db_layout(memory.reader(), [](std::string_view) { return std::nullopt; }),
      doctest::Contains("cannot find _thread_db_pthread_dtvp"), std::runtime_error);
}
