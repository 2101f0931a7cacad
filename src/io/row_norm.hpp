#pragma once
// L2 norms of embedding rows whose float32 sum of squares under- or overflows.

#include <cstdint>
#include <string>

namespace semdedup::io {

/// L2 norm of `values[0, dim)` summed in double, where no square of a finite float32 can
/// under- or overflow (float32 squares lie in [2e-90, 1.2e77]).
double norm_in_double(const float* values, int64_t dim);

/// values[k] = values[k] / norm, divided in double and rounded once to float32.
void divide_in_double(float* values, int64_t dim, double norm);

/// Why the first non-finite value of a row is bad: "non-finite value inf at index 3", or, when
/// `source` (the row's float64 input, may be null) holds a finite value there,
/// "value 1e+300 is out of float32 range at index 3". Empty when every value is finite.
std::string non_finite_reason(const float* values, const double* source, int64_t dim);

/// Squared L2 norm of `values[0, dim)` summed in float32 in index order, never contracted into
/// FMA: the file reader's arithmetic (its blocked squared_norms gives the same bits).
float squared_norm(const float* values, int64_t dim);

/// Checks one row whose float32 sum of squares is `squared` and L2-normalises it in place:
/// float32 division by sqrt(squared) whenever that sum is a normal number (NeMo's arithmetic),
/// the norm summed and divided in double when it under- or overflows. Returns why the row is
/// refused ("zero norm", a non-finite or out-of-range value; `source` is its float64 input or
/// null), or "" when it was normalised. With `normalise` false it only checks finiteness.
std::string normalise_row(float* values, int64_t dim, float squared, const double* source,
                          bool normalise = true);

}  // namespace semdedup::io
