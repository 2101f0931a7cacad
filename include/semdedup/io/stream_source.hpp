#pragma once
/// \file In-memory inputs beside the Parquet and JSONL readers: the rows of an Arrow C stream
/// (`ArrowArrayStream`, what `__arrow_c_stream__` hands over: a pyarrow Table or
/// RecordBatchReader, polars, DuckDB) as one table, and a table's embeddings as a checked,
/// normalised matrix (the one extractor the readers use). To read a stream batch by batch as
/// files are read, see open_arrow_stream_source (batch_source.hpp).

#include <memory>
#include <string>

#include "semdedup/core/matrix.hpp"
#include "semdedup/core/status.hpp"

struct ArrowArrayStream;

namespace arrow {
class Table;
}  // namespace arrow

namespace semdedup::io {

/// Reads every batch of `stream` (taking ownership: the stream is released) into one table.
/// io_error when the producer fails.
Result<std::shared_ptr<arrow::Table>> read_arrow_stream(ArrowArrayStream* stream);

/// Column `embedding_field` of `table` as [rows x dim] float32, L2-normalised as the file
/// reader normalises (each row's squared norm summed in float32 in index order, then each value
/// divided by its square root), so the same values give the same bits as from a file. The
/// column is a list, large_list or fixed_size_list of floats or integers. data_error for a
/// missing column or another type, and for the first bad row: "column 'e' row R: reason" with
/// the reader's reasons (null embedding, empty embedding list, ragged list, null value,
/// non-finite value, zero norm).
Result<Matrix> embeddings_from_table(const arrow::Table& table,
                                     const std::string& embedding_field);

/// A normalised copy of `rows`, each checked and normalised as embeddings_from_table does;
/// data_error "column 'name' row R: reason" for the first bad row.
Result<Matrix> normalised_copy(MatrixView rows, const std::string& name);

}  // namespace semdedup::io
