#include <gtest/gtest.h>

#include "core/error.h"
#include "eval/vqa_normalize.h"

using namespace vlmq;
using namespace vlmq::eval;

namespace {

std::string official(std::string_view s) { return normalize(Normalizer::official, s); }
std::string evalai(std::string_view s) { return normalize(Normalizer::evalai, s); }

}  // namespace

// Every worked example of vqa-scoring.md §1.5.
TEST(VqaNormalize, OfficialWorkedExamples) {
    EXPECT_EQ(official("Yes."), "yes");
    EXPECT_EQ(official("The dog"), "dog");
    EXPECT_EQ(official("two dogs"), "2 dogs");
    EXPECT_EQ(official("1,000"), "1000");
    EXPECT_EQ(official("100,978 people"), "100978 people");
    EXPECT_EQ(official("3.5"), "3.5");
    EXPECT_EQ(official("a.m."), "am");
    EXPECT_EQ(official("Dont know"), "don't know");
    EXPECT_EQ(official("red-white"), "red white");
    EXPECT_EQ(official("red - white"), "red white");
    EXPECT_EQ(official("(blue)"), "blue");
    EXPECT_EQ(official("girl's"), "girl's");
    EXPECT_EQ(official("none"), "0");
    EXPECT_EQ(official("two, three"), "2 3");
    EXPECT_EQ(official("What?!"), "what");
    EXPECT_EQ(official("x/y"), "x y");
    EXPECT_EQ(official("e-mail, 2,3"), "email 23");
    EXPECT_EQ(official("...5"), ".5");
    EXPECT_EQ(official("U.S.A."), "usa");
}

TEST(VqaNormalize, PunctuationStepAlone) {
    // Per character, judged on the original text: next to a space -> deleted, else -> a space.
    EXPECT_EQ(process_punctuation("a-b - c"), "ab  c");
    EXPECT_EQ(process_punctuation("(x)"), " x ");
    // Characters outside the list survive: apostrophe, colon, # $ % & * ^ ~ |.
    EXPECT_EQ(process_punctuation("it's 5:30 #1 $2 50% a&b *c^d~e|f"), "it's 5:30 #1 $2 50% a&b *c^d~e|f");
    // The comma-digit switch deletes every listed character, including ones not next to a space.
    EXPECT_EQ(process_punctuation("a-b 1,2"), "ab 12");
    // A comma between a digit and a space does not trigger the switch: ',' is deleted (space follows),
    // '-' is replaced.
    EXPECT_EQ(process_punctuation("1, a-b"), "1 a b");
    // Periods: kept only when a digit follows; at most 32 are removed.
    EXPECT_EQ(process_punctuation("5. 5.5 .5 a.b."), "5 5.5 .5 ab");
    EXPECT_EQ(process_punctuation(std::string(40, '.')), std::string(8, '.'));
    EXPECT_EQ(process_punctuation(""), "");
}

TEST(VqaNormalize, DigitArticleStep) {
    EXPECT_EQ(process_digit_article("The   Zero  an one A two three four five six seven eight nine ten eleven"),
              "0 1 2 3 4 5 6 7 8 9 10 eleven");
    EXPECT_EQ(process_digit_article("THATS whats  Wont"), "that's what's won't");
    EXPECT_EQ(process_digit_article("  "), "");
    // Unicode: Python-style lowercase and whitespace (U+00A0 and U+3000 split tokens).
    EXPECT_EQ(process_digit_article("CAFÉ\u00a0ÄPFEL\u3000Two"), "café äpfel 2");
}

TEST(VqaNormalize, ContractionTableIsVerbatim) {
    EXPECT_EQ(contraction_count(), 120);
    EXPECT_EQ(map_contraction("dont"), "don't");
    EXPECT_EQ(map_contraction("yall'd've"), "y'all'd've");
    EXPECT_EQ(map_contraction("youve"), "you've");
    EXPECT_EQ(map_contraction("aint"), "ain't");
    // Oddities kept from upstream.
    EXPECT_EQ(map_contraction("somebody'd"), "somebodyd");
    EXPECT_EQ(map_contraction("let's"), "let's");
    EXPECT_EQ(map_contraction("she's"), "she's");
    EXPECT_EQ(map_contraction("Im"), "I'm");          // present, but text is lowercased first...
    EXPECT_EQ(process_digit_article("Im"), "im");     // ...so it never matches
    EXPECT_EQ(map_contraction("notacontraction"), "notacontraction");
}

TEST(VqaNormalize, WhitespaceCleanup) {
    EXPECT_EQ(clean_whitespace("\tred\nblue \n"), "red blue");
    EXPECT_EQ(clean_whitespace("  \u00a0x\u3000 "), "x");
    EXPECT_EQ(normalize(Normalizer::none, " Yes.\n"), "Yes.");
    EXPECT_EQ(official("\tTwo\n"), "2");
}

TEST(VqaNormalize, EvalAiDiffersFromOfficial) {
    EXPECT_EQ(evalai("girl's"), "girl 's");
    EXPECT_EQ(evalai("It's"), "it 's");
    EXPECT_EQ(evalai("e-mail, 2,3"), "e mail 23");
    EXPECT_EQ(official("e-mail, 2,3"), "email 23");
    // Commas and question marks are deleted before the punctuation step.
    EXPECT_EQ(evalai("x,y"), "xy");
    EXPECT_EQ(official("x,y"), "x y");
    EXPECT_EQ(official("a,b"), "b");  // ',' becomes a space, then the article "a" is dropped
    EXPECT_EQ(evalai("What?!"), "what");
    EXPECT_EQ(evalai("Yes."), "yes");
    EXPECT_EQ(evalai("The Dog"), "dog");
    EXPECT_EQ(evalai("1,000"), "1000");
    EXPECT_EQ(evalai("\n Two \t"), "2");
}

TEST(VqaNormalize, InvalidUtf8PassesThrough) {
    EXPECT_EQ(official("A\xff B"), "a\xff b");
    EXPECT_EQ(evalai("\xc3"), "\xc3");
}

TEST(VqaNormalize, ParseNormalizer) {
    EXPECT_EQ(parse_normalizer("official", "x"), Normalizer::official);
    EXPECT_EQ(parse_normalizer("evalai", "x"), Normalizer::evalai);
    EXPECT_EQ(parse_normalizer("none", "x"), Normalizer::none);
    EXPECT_EQ(normalizer_name(Normalizer::evalai), "evalai");
    try {
        parse_normalizer("lmms", "--normalizer");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "--normalizer: unknown normalizer 'lmms' (expected official, evalai or none)");
    }
}
