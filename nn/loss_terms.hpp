#pragma once
// LossTerms: the terms layers add to a step's loss, as Keras' add_loss: a variational layer's KL
// divergence, a regularizer's penalty. Each is a scalar Var under a name; terms of one name are summed.
// fit adds them to the compiled loss and reports each by its name; evaluate reports the same total.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "autograd/var.hpp"

namespace smallnet {

class LossTerms {
public:
    // Adds `term` (rank 0) under `name`.
    void add(std::string_view name, const Var& term);
    const std::vector<std::pair<std::string, Var>>& terms() const { return terms_; }
    bool empty() const { return terms_.empty(); }
    void clear() { terms_.clear(); }
    // `loss` plus every term.
    Var total(const Var& loss) const;

private:
    std::vector<std::pair<std::string, Var>> terms_;
};

}  // namespace smallnet
