#include "stub/host_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "rsp/escape.h"
#include "rsp/hex.h"
#include "stub/fileio_convert.h"
#include "stub/xfer_chunk.h"
#include "threads/process_files.h"

namespace xolstub::stub {
namespace {

// The smallest limit that still holds an fstat reply with every byte escaped.
constexpr std::size_t min_reply_size = 2 * fileio::stat_size + 16;

std::string reply_value(std::uint64_t value) { return "F" + rsp::hex_number(value); }
std::string reply_error(fileio::Errno error) { return "F-1," + rsp::hex_number(static_cast<std::uint64_t>(error)); }
std::string reply_host_error(int host_errno) { return reply_error(fileio::from_host_errno(host_errno)); }
// A request we cannot parse gets EINVAL, as gdbserver answers it.
std::string reply_malformed() { return reply_error(fileio::einval); }

std::string reply_with_data(std::span<const std::uint8_t> data) {
  return reply_value(data.size()) + ";" + rsp::escape_binary(data);
}

// Exactly N comma-separated fields, or nullopt.
template <std::size_t N> std::optional<std::array<std::string_view, N>> fields(std::string_view args) {
  std::array<std::string_view, N> out;
  for (std::size_t i = 0; i < N; ++i) {
    std::size_t comma = args.find(',');
    if ((comma == std::string_view::npos) != (i == N - 1)) return std::nullopt;
    out[i] = args.substr(0, comma);
    if (comma != std::string_view::npos) args.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<int> parse_int(std::string_view field) {
  std::optional<std::uint64_t> value = rsp::parse_hex_number(field);
  if (!value || *value > static_cast<std::uint64_t>(INT_MAX)) return std::nullopt;
  return static_cast<int>(*value);
}

std::optional<off_t> parse_offset(std::string_view field) {
  std::optional<std::uint64_t> value = rsp::parse_hex_number(field);
  if (!value || *value > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<off_t>(*value);
}

// File names travel hex-encoded. An embedded NUL would silently name a different file.
std::optional<std::string> parse_file_name(std::string_view field) {
  std::optional<std::vector<std::uint8_t>> bytes = rsp::from_hex(field);
  if (!bytes || std::find(bytes->begin(), bytes->end(), 0) != bytes->end()) return std::nullopt;
  return std::string(bytes->begin(), bytes->end());
}

} // namespace

HostIo::HostIo(std::size_t max_reply_size) : max_reply_size_(std::max(max_reply_size, min_reply_size)) {}

HostIo::~HostIo() {
  for (int fd : fds_) ::close(fd);
}

std::string HostIo::handle(std::string_view packet) {
  using Handler = std::string (HostIo::*)(std::string_view);
  static constexpr std::pair<std::string_view, Handler> handlers[] = {
      {"vFile:setfs:", &HostIo::setfs},   {"vFile:open:", &HostIo::open},
      {"vFile:close:", &HostIo::close},   {"vFile:pread:", &HostIo::pread},
      {"vFile:pwrite:", &HostIo::pwrite}, {"vFile:fstat:", &HostIo::fstat},
      {"vFile:unlink:", &HostIo::unlink}, {"vFile:readlink:", &HostIo::readlink},
  };
  for (const auto& [prefix, handler] : handlers)
    if (packet.starts_with(prefix)) return (this->*handler)(packet.substr(prefix.size()));
  return {};
}

std::string HostIo::setfs(std::string_view args) {
  std::optional<int> pid = parse_int(args);
  if (!pid) return reply_malformed();
  fs_pid_ = *pid;
  return reply_value(0);
}

std::string HostIo::open(std::string_view args) {
  auto parts = fields<3>(args);
  if (!parts) return reply_malformed();
  std::optional<std::string> name = parse_file_name((*parts)[0]);
  std::optional<std::uint64_t> wire_flags = rsp::parse_hex_number((*parts)[1]);
  std::optional<std::uint64_t> wire_mode = rsp::parse_hex_number((*parts)[2]);
  if (!name || !wire_flags || !wire_mode) return reply_malformed();
  std::optional<int> flags = fileio::to_host_open_flags(*wire_flags);
  std::optional<mode_t> mode = fileio::to_host_mode(*wire_mode);
  if (!flags || !mode) return reply_malformed();

  // O_NOCTTY: opening a terminal must never make it the stub's controlling terminal.
  int fd = threads::open_as_seen_by(fs_pid_, *name, *flags | O_NOCTTY, *mode);
  if (fd < 0) return reply_host_error(-fd);
  fds_.insert(fd);
  return reply_value(static_cast<std::uint64_t>(fd));
}

std::string HostIo::close(std::string_view args) {
  std::optional<int> fd = parse_int(args);
  if (!fd) return reply_malformed();
  if (!owns(*fd)) return reply_error(fileio::ebadf);
  fds_.erase(*fd);
  // Linux releases the descriptor even when close reports an error, so forget it regardless.
  if (::close(*fd) != 0) return reply_host_error(errno);
  return reply_value(0);
}

std::string HostIo::pread(std::string_view args) {
  auto parts = fields<3>(args);
  if (!parts) return reply_malformed();
  std::optional<int> fd = parse_int((*parts)[0]);
  std::optional<std::uint64_t> count = rsp::parse_hex_number((*parts)[1]);
  std::optional<off_t> offset = parse_offset((*parts)[2]);
  if (!fd || !count || !offset) return reply_malformed();
  if (!owns(*fd)) return reply_error(fileio::ebadf);

  // Room for the data once "F<count>;" is written; a smaller final count only shortens it.
  std::size_t budget = max_reply_size_ - reply_value(*count).size() - 1;
  std::vector<std::uint8_t> data(std::min<std::uint64_t>(*count, budget));
  ssize_t got;
  do {
    got = ::pread(*fd, data.data(), data.size(), *offset);
  } while (got < 0 && errno == EINTR);
  if (got < 0) return reply_host_error(errno);

  // Escapes may push the reply past the budget: send fewer bytes; GDB asks again for the rest.
  std::span<const std::uint8_t> read(data.data(), static_cast<std::size_t>(got));
  return reply_with_data(read.first(escaped_prefix_that_fits(read, budget)));
}

std::string HostIo::pwrite(std::string_view args) {
  std::size_t first = args.find(',');
  std::size_t second = first == std::string_view::npos ? first : args.find(',', first + 1);
  if (second == std::string_view::npos) return reply_malformed();
  std::optional<int> fd = parse_int(args.substr(0, first));
  std::optional<off_t> offset = parse_offset(args.substr(first + 1, second - first - 1));
  std::optional<std::vector<std::uint8_t>> data = rsp::unescape_binary(args.substr(second + 1));
  if (!fd || !offset || !data) return reply_malformed();
  if (!owns(*fd)) return reply_error(fileio::ebadf);

  ssize_t written;
  do {
    written = ::pwrite(*fd, data->data(), data->size(), *offset);
  } while (written < 0 && errno == EINTR);
  if (written < 0) return reply_host_error(errno);
  return reply_value(static_cast<std::uint64_t>(written));
}

std::string HostIo::fstat(std::string_view args) {
  std::optional<int> fd = parse_int(args);
  if (!fd) return reply_malformed();
  if (!owns(*fd)) return reply_error(fileio::ebadf);
  struct stat st;
  if (::fstat(*fd, &st) != 0) return reply_host_error(errno);
  return reply_with_data(fileio::pack_stat(st));
}

std::string HostIo::unlink(std::string_view args) {
  std::optional<std::string> name = parse_file_name(args);
  if (!name) return reply_malformed();
  int result = threads::unlink_as_seen_by(fs_pid_, *name);
  if (result < 0) return reply_host_error(-result);
  return reply_value(0);
}

std::string HostIo::readlink(std::string_view args) {
  std::optional<std::string> name = parse_file_name(args);
  if (!name) return reply_malformed();
  std::string target;
  int result = threads::readlink_as_seen_by(fs_pid_, *name, target);
  if (result < 0) return reply_host_error(-result);
  auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(target.data()), target.size());
  // A link target is all or nothing: a truncated one would name another file.
  std::size_t budget = max_reply_size_ - reply_value(bytes.size()).size() - 1;
  if (escaped_prefix_that_fits(bytes, budget) < bytes.size()) return reply_error(fileio::enametoolong);
  return reply_with_data(bytes);
}

} // namespace xolstub::stub
