#include <doctest/doctest.h>

#include <vector>

#include "threads/debug_registers.h"

using xolstub::threads::DebugRegisterError;
using xolstub::threads::HardwareKind;
using xolstub::threads::HardwarePoint;
using xolstub::threads::layout_debug_registers;

namespace {
unsigned rw_of(std::uint64_t dr7, int r) { return (dr7 >> (16 + 4 * r)) & 3; }
unsigned len_of(std::uint64_t dr7, int r) { return (dr7 >> (18 + 4 * r)) & 3; }
} // namespace

TEST_CASE("an aligned 4-byte write watchpoint takes one register") {
  std::vector<HardwarePoint> points{{HardwareKind::write, 0x1000, 4}};
  auto image = layout_debug_registers(points);
  CHECK(image.address[0] == 0x1000);
  CHECK((image.control & 0xff) == 0b01);  // L0 only
  CHECK(rw_of(image.control, 0) == 0b01);
  CHECK(len_of(image.control, 0) == 0b11);
  CHECK(image.point[0] == 0);
}

TEST_CASE("an unaligned region is split into aligned pieces, largest first") {
  std::vector<HardwarePoint> points{{HardwareKind::access, 0x1003, 6}};  // 1003, 1004..1007, 1008
  auto image = layout_debug_registers(points);
  CHECK(image.address[0] == 0x1003);
  CHECK(len_of(image.control, 0) == 0b00);
  CHECK(image.address[1] == 0x1004);
  CHECK(len_of(image.control, 1) == 0b11);
  CHECK(image.address[2] == 0x1008);
  CHECK(len_of(image.control, 2) == 0b00);
  CHECK(rw_of(image.control, 2) == 0b11);
  CHECK(image.point[3] == -1);
}

TEST_CASE("an 8-byte piece uses LEN 10, an execute breakpoint RW 00 LEN 00") {
  std::vector<HardwarePoint> points{{HardwareKind::write, 0x2000, 8}, {HardwareKind::execute, 0x401000, 1}};
  auto image = layout_debug_registers(points);
  CHECK(len_of(image.control, 0) == 0b10);
  CHECK(rw_of(image.control, 1) == 0b00);
  CHECK(len_of(image.control, 1) == 0b00);
  CHECK(image.point[1] == 1);
}

TEST_CASE("identical pieces share a register; a fifth register is an error") {
  std::vector<HardwarePoint> same{{HardwareKind::write, 0x3000, 4}, {HardwareKind::write, 0x3000, 4}};
  CHECK((layout_debug_registers(same).control & 0xff) == 0b01);
  std::vector<HardwarePoint> many{{HardwareKind::write, 0x3000, 32}, {HardwareKind::write, 0x5000, 1}};
  CHECK_THROWS_AS(layout_debug_registers(many), DebugRegisterError);
  std::vector<HardwarePoint> wide_execute{{HardwareKind::execute, 0x401000, 4}};
  CHECK_THROWS_AS(layout_debug_registers(wide_execute), DebugRegisterError);
  std::vector<HardwarePoint> empty_region{{HardwareKind::write, 0x3000, 0}};
  CHECK_THROWS_AS(layout_debug_registers(empty_region), DebugRegisterError);
  CHECK(layout_debug_registers({}).empty());
}
