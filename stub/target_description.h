// The target description GDB reads through qXfer:features:read:target.xml: one self-contained
// document (no xi:include) naming every register of the layout, with explicit regnum
// attributes so GDB's remote register numbers are exactly the layout's numbers.
#pragma once
#include <string>

#include "threads/register_layout.h"

namespace xolstub::stub {

std::string target_description_xml(const threads::RegisterLayout& layout);
// The same registers for LLDB, with its attributes instead of GDB's types (lldb_target_description.cc).
std::string lldb_target_description_xml(const threads::RegisterLayout& layout);

} // namespace xolstub::stub
