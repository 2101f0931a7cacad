#include "semdedup/io/npy.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <istream>
#include <memory>
#include <streambuf>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include <arrow/io/interfaces.h>
#include <arrow/result.h>

#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/writer.hpp"

namespace semdedup::io {

namespace {

// A read-only, seekable std::streambuf over an Arrow file (local or S3), for the parser below.
class ArrowFileBuf : public std::streambuf {
 public:
  explicit ArrowFileBuf(std::shared_ptr<arrow::io::RandomAccessFile> file)
      : file_(std::move(file)), buffer_(1 << 16) {}

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    const auto got = file_->ReadAt(position_, static_cast<int64_t>(buffer_.size()), buffer_.data());
    if (!got.ok() || *got <= 0) return traits_type::eof();
    position_ += *got;
    setg(buffer_.data(), buffer_.data(), buffer_.data() + *got);
    return traits_type::to_int_type(*gptr());
  }

  pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode) override {
    const int64_t current = position_ - (egptr() - gptr());
    int64_t target = off;
    if (dir == std::ios_base::cur) {
      target += current;
    } else if (dir == std::ios_base::end) {
      const auto size = file_->GetSize();
      if (!size.ok()) return pos_type(off_type(-1));
      target += *size;
    }
    return seekpos(pos_type(target), std::ios_base::in);
  }

  pos_type seekpos(pos_type pos, std::ios_base::openmode) override {
    if (off_type(pos) < 0) return pos_type(off_type(-1));
    position_ = off_type(pos);
    setg(buffer_.data(), buffer_.data(), buffer_.data());
    return pos;
  }

 private:
  std::shared_ptr<arrow::io::RandomAccessFile> file_;
  std::vector<char> buffer_;
  int64_t position_ = 0;  ///< file offset of egptr()
};


constexpr std::string_view kMagic = "\x93NUMPY";
constexpr size_t kAlign = 64;
// numpy.save leaves room for the first axis to grow to this many digits in place.
constexpr size_t kGrowthAxisMaxDigits = 21;

static_assert(std::numeric_limits<float>::is_iec559, "IEEE 754 float32 expected");

// The header of a .npy file: the Python literal of a dict with 'descr', 'fortran_order' and
// 'shape'. This parser accepts exactly the literal forms numpy writes (strings in either
// quote, True/False, tuples of non-negative integers), in any key order.
class HeaderParser {
 public:
  explicit HeaderParser(std::string_view text) : text_(text) {}

  struct Header {
    std::string descr;
    bool fortran_order = false;
    std::vector<int64_t> shape;
  };

  std::optional<Header> parse() {
    Header header;
    bool has_descr = false, has_order = false, has_shape = false;
    if (!eat('{')) return std::nullopt;
    while (true) {
      skip_space();
      if (eat('}')) break;
      auto key = string_literal();
      if (!key || !eat(':')) return std::nullopt;
      if (*key == "descr") {
        auto value = string_literal();
        if (!value) return std::nullopt;
        header.descr = *value;
        has_descr = true;
      } else if (*key == "fortran_order") {
        auto value = boolean();
        if (!value) return std::nullopt;
        header.fortran_order = *value;
        has_order = true;
      } else if (*key == "shape") {
        auto value = tuple();
        if (!value) return std::nullopt;
        header.shape = *value;
        has_shape = true;
      } else {
        return std::nullopt;
      }
      skip_space();
      if (eat(',')) continue;
      if (eat('}')) break;
      return std::nullopt;
    }
    skip_space();
    if (pos_ != text_.size() || !has_descr || !has_order || !has_shape) return std::nullopt;
    return header;
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\t' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool eat(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::optional<std::string> string_literal() {
    skip_space();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) return std::nullopt;
    const char quote = text_[pos_++];
    const size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos) return std::nullopt;
    std::string value(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return value;
  }
  std::optional<bool> boolean() {
    skip_space();
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    return std::nullopt;
  }
  std::optional<std::vector<int64_t>> tuple() {
    if (!eat('(')) return std::nullopt;
    std::vector<int64_t> values;
    while (true) {
      skip_space();
      if (eat(')')) return values;
      int64_t value = 0;
      size_t digits = 0;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
        if (value > (std::numeric_limits<int64_t>::max() - 9) / 10) return std::nullopt;
        value = value * 10 + (text_[pos_++] - '0');
        ++digits;
      }
      if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;
      if (digits == 0) return std::nullopt;
      values.push_back(value);
      if (eat(',')) continue;
      if (eat(')')) return values;
      return std::nullopt;
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// Little-endian loads: the file format is little-endian whatever the host.
uint32_t load_le(const unsigned char* p, int bytes) {
  uint32_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | p[i];
  return value;
}

}  // namespace

Status write_npy(const std::string& path, MatrixView matrix) {
  if (matrix.rows < 0 || matrix.cols < 0) {
    return Status::internal("write_npy {}: negative shape", path);
  }
  std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}",
                                   matrix.rows, matrix.cols);
  const size_t first_axis_digits = fmt::formatted_size("{}", matrix.rows);
  if (first_axis_digits < kGrowthAxisMaxDigits) {
    header.append(kGrowthAxisMaxDigits - first_axis_digits, ' ');
  }
  const size_t prefix = kMagic.size() + 2 + 2;  // magic, version, uint16 header length
  const size_t with_newline = header.size() + 1;
  const size_t pad = kAlign - (prefix + with_newline) % kAlign;
  header.append(pad, ' ');
  header.push_back('\n');
  const size_t header_len = header.size();

  std::string bytes;
  bytes.reserve(prefix + header_len +
                static_cast<size_t>(matrix.rows * matrix.cols) * sizeof(float));
  bytes.append(kMagic);
  bytes.push_back('\x01');
  bytes.push_back('\x00');
  bytes.push_back(static_cast<char>(header_len & 0xff));
  bytes.push_back(static_cast<char>((header_len >> 8) & 0xff));
  bytes.append(header);
  static_assert(std::endian::native == std::endian::little, "little-endian host expected");
  for (int64_t row = 0; row < matrix.rows; ++row) {
    bytes.append(reinterpret_cast<const char*>(matrix.row(row)),
                 static_cast<size_t>(matrix.cols) * sizeof(float));
  }
  return write_file_atomic(path, bytes);
}

Result<Matrix> read_npy(const std::string& path) {
  SD_ASSIGN_OR_RETURN(auto file, open_input_file(path, fmt::format("cannot open {}", path)));
  ArrowFileBuf buf(std::move(file));
  std::istream in(&buf);
  unsigned char prefix[12] = {};
  in.read(reinterpret_cast<char*>(prefix), 8);
  if (in.gcount() != 8 || std::string_view(reinterpret_cast<char*>(prefix), 6) != kMagic) {
    return Status::data_error("{}: not a .npy file (bad magic)", path);
  }
  const int major = prefix[6];
  if (major < 1 || major > 3) {
    return Status::data_error("{}: unsupported .npy format version {}.{}", path, major, prefix[7]);
  }
  const int length_bytes = major == 1 ? 2 : 4;
  in.read(reinterpret_cast<char*>(prefix + 8), length_bytes);
  if (in.gcount() != length_bytes) return Status::data_error("{}: truncated .npy header", path);
  const uint32_t header_len = load_le(prefix + 8, length_bytes);
  // The length comes from the file: held against the file's size before anything is allocated.
  const std::streamoff header_start = in.tellg();
  in.seekg(0, std::ios::end);
  const std::streamoff file_size = in.tellg();
  in.seekg(header_start);
  if (!in || file_size - header_start < static_cast<std::streamoff>(header_len)) {
    return Status::data_error("{}: truncated .npy header", path);
  }
  std::string header(header_len, '\0');
  in.read(header.data(), header_len);
  if (static_cast<uint32_t>(in.gcount()) != header_len) {
    return Status::data_error("{}: truncated .npy header", path);
  }
  auto parsed = HeaderParser(header).parse();
  if (!parsed) return Status::data_error("{}: malformed .npy header", path);
  if (parsed->descr != "<f4" && parsed->descr != "<f8") {
    return Status::data_error("{}: .npy dtype '{}' is not supported (need '<f4' or '<f8')", path,
                              parsed->descr);
  }
  if (parsed->fortran_order) {
    return Status::data_error("{}: Fortran-order .npy arrays are not supported (need C order)",
                              path);
  }
  if (parsed->shape.size() != 2) {
    return Status::data_error("{}: .npy array has {} dimensions, need 2", path,
                              parsed->shape.size());
  }
  const int64_t rows = parsed->shape[0], cols = parsed->shape[1];
  const size_t item = parsed->descr == "<f4" ? 4 : 8;
  if (cols > 0 && rows > std::numeric_limits<int64_t>::max() / 8 / cols) {
    return Status::data_error("{}: .npy shape ({}, {}) is too large", path, rows, cols);
  }
  const auto expected = static_cast<uint64_t>(rows * cols) * item;
  const std::streamoff data_start = in.tellg();
  in.seekg(0, std::ios::end);
  const std::streamoff file_end = in.tellg();
  const auto available = static_cast<uint64_t>(file_end - data_start);
  if (available < expected) {
    return Status::data_error("{}: truncated .npy data: shape ({}, {}) needs {} bytes, found {}",
                              path, rows, cols, expected, available);
  }
  if (available > expected) {
    return Status::data_error("{}: .npy file has {} bytes after the ({}, {}) array", path,
                              available - expected, rows, cols);
  }
  in.seekg(data_start);
  Matrix matrix(rows, cols);
  if (item == 4) {
    in.read(reinterpret_cast<char*>(matrix.data()), static_cast<std::streamsize>(expected));
  } else {
    std::vector<double> buffer(static_cast<size_t>(std::min<int64_t>(rows * cols, 1 << 20)));
    int64_t done = 0;
    while (done < rows * cols && in) {
      const int64_t count = std::min<int64_t>(static_cast<int64_t>(buffer.size()), rows * cols - done);
      in.read(reinterpret_cast<char*>(buffer.data()), static_cast<std::streamsize>(count * 8));
      for (int64_t i = 0; i < count; ++i) matrix.data()[done + i] = static_cast<float>(buffer[i]);
      done += count;
    }
  }
  if (!in) return Status::io_error("cannot read {}", path);
  return matrix;
}

}  // namespace semdedup::io
