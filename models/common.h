// Shared vocabulary of the domain models. A model is a pure function over
// arrays of already-drawn inputs for one block of trials: element i of every
// array belongs to trial i of the block. Models know nothing of files,
// threads or random number generators.
#pragma once

#include <Eigen/Core>

namespace switchcost::models {

// One value per trial of a block.
using Column = Eigen::ArrayXd;

constexpr double days_per_week = 7.0;
constexpr double days_per_month = 365.25 / 12.0;  // [days] mean Gregorian month
constexpr double months_per_year = 12.0;

}  // namespace switchcost::models
