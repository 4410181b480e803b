// The doctest runner for every test suite; meson runs it once per suite (tests/meson.build).
// A run whose filters select no test case fails, so a suite that lost its tests cannot pass silently.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

namespace {

bool selected_no_test = false;

struct EmptyRunListener : doctest::IReporter {
    explicit EmptyRunListener(const doctest::ContextOptions&) {}
    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats& stats) override {
        selected_no_test = stats.numTestCasesPassingFilters == 0;
    }
    void test_case_start(const doctest::TestCaseData&) override {}
    void test_case_reenter(const doctest::TestCaseData&) override {}
    void test_case_end(const doctest::CurrentTestCaseStats&) override {}
    void test_case_exception(const doctest::TestCaseException&) override {}
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData&) override {}
    void log_message(const doctest::MessageData&) override {}
    void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace

REGISTER_LISTENER("empty_run", 1, EmptyRunListener);

int main(int argc, char** argv) {
    doctest::Context context(argc, argv);
    const int result = context.run();
    if (context.shouldExit()) return result;
    if (selected_no_test) {
        std::fprintf(stderr, "no test case matched the filters: the suite is empty or misnamed\n");
        return result == 0 ? 1 : result;
    }
    return result;
}
