#pragma once
// Standardising features, as R's scale(): each column minus its mean, divided by its sample standard
// deviation (n - 1 denominator).

#include <vector>

#include "tensor/tensor.hpp"

namespace smallnet {

struct ColumnScaling {
    std::vector<double> mean;    // per column
    std::vector<double> stddev;  // per column, n - 1 denominator
};

// The per-column mean and sample standard deviation of a [rows, columns] tensor (rows >= 2).
ColumnScaling column_scaling(const Tensor& x);
// Standardises x in place and returns the scaling used. A constant column (sd 0) is only centred.
ColumnScaling standardize(Tensor& x);
// Applies a scaling found on other data (the training set's, to the test set), as
// sklearn's StandardScaler.transform; x must have as many columns.
void apply_scaling(const ColumnScaling& scaling, Tensor& x);

}  // namespace smallnet
