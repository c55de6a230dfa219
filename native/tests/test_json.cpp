// The JSON writer: escaping, nesting, number formatting and misuse detection.
#include <gtest/gtest.h>

#include <sstream>

#include "util/json_writer.h"
#include "util/strings.h"

namespace moe::util {
namespace {

TEST(JsonWriter, NestedValuesGetCommasAndEscapes) {
  std::ostringstream out;
  JsonWriter w(out);
  w.begin_object();
  w.key("s").value("a\"b\\c\n\t\x01");
  w.key("n").value(42);
  w.key("x").value(0.5);
  w.key("b").value(false);
  w.key("z").null();
  w.key("list").begin_array().value(1).value("two").begin_object().end_object().begin_array().end_array().end_array();
  w.end_object();
  EXPECT_EQ(out.str(), R"({"s":"a\"b\\c\n\t\u0001","n":42,"x":0.5,"b":false,"z":null,"list":[1,"two",{},[]]})");
}

TEST(JsonWriter, DoublesRoundTripAndNonFiniteBecomesNull) {
  EXPECT_EQ(format_double(5e-4), "5e-04");
  EXPECT_EQ(format_double(0.03), "0.03");
  EXPECT_EQ(format_double(10000.0), "10000");
  EXPECT_EQ(format_double(0.1), "0.1");
  EXPECT_EQ(format_double(1e-300), "1e-300");
  EXPECT_EQ(std::stod(format_double(1.0 / 3.0)), 1.0 / 3.0);
  EXPECT_EQ(format_double(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(format_double(std::numeric_limits<double>::infinity()), "null");
}

TEST(JsonWriter, MisuseThrows) {
  std::ostringstream out;
  JsonWriter w(out);
  w.begin_object();
  EXPECT_THROW(w.value(1), std::logic_error);  // value without key
  EXPECT_THROW(w.end_array(), std::logic_error);
  JsonWriter a(out);
  a.begin_array();
  EXPECT_THROW(a.key("k"), std::logic_error);
}

TEST(Strings, EditDistanceAndNearest) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(nearest("hiden-size", {"hidden-size", "head-dim"}), "hidden-size");
  EXPECT_EQ(nearest("xyzzy", {"hidden-size", "head-dim"}), "");
  EXPECT_EQ(group_thousands(8522237952LL), "8,522,237,952");
  EXPECT_EQ(group_thousands(-1000), "-1,000");
  EXPECT_EQ(group_thousands(999), "999");
  EXPECT_EQ(si_format(16404590592.0), "16.40 G");
  EXPECT_EQ(si_format(8522237952.0, "B"), "8.52 B");
}

}  // namespace
}  // namespace moe::util
