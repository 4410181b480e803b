#include "nn/loss_terms.hpp"

#include <stdexcept>

#include "autograd/ops/arithmetic.hpp"

namespace smallnet {

void LossTerms::add(std::string_view name, const Var& term) {
    if (term.shape().rank() != 0)
        throw std::invalid_argument("a loss term must be a scalar, but '" + std::string(name) + "' has shape " +
                                    term.shape().to_string());
    for (auto& [existing, value] : terms_)
        if (existing == name) {
            value = value + term;
            return;
        }
    terms_.emplace_back(std::string(name), term);
}

Var LossTerms::total(const Var& loss) const {
    Var sum = loss;
    for (const auto& [name, term] : terms_) sum = sum + term;
    return sum;
}

}  // namespace smallnet
