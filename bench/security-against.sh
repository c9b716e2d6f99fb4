#!/usr/bin/env bash
# Runs each security finding's HTTP test against a given paperdeck binary and prints one line per
# test: finding, test, PASS/FAIL and, for a failure, the first line of its panic message.
#
#   bash bench/security-against.sh path/to/paperdeck      # another build (an older commit's)
#   bash bench/security-against.sh                        # this tree, in-process
#
# The API tests read PAPERDECK_TARGET_BIN (tests/common/app.rs), the memory-limit test reads
# PAPERDECK_BIN (tests/common/process.rs). Build the tests first: cargo test --no-run.
# API_TEST may name the already-built test executable to run instead of cargo.
set -u
bin="${1:-}"
run_test() { # target name
  local exe
  case "$1" in api) exe="${API_TEST:-}" ;; esac
  if [ -n "$exe" ]; then "$exe" --exact "$2" -q; else cargo test -q --test "$1" -- --exact "$2"; fi
}
tests=(
  "H1 api memory_limit::h1_the_optimiser_on_a_20000_review_concept_fits_a_small_memory_limit"
  "H1 api security::h1_a_learner_runs_one_expensive_request_at_a_time"
  "H2 api security::h2_concurrent_logins_cannot_exceed_the_limit"
  "H3 api security::h3_failed_logins_from_a_shared_address_do_not_lock_out_other_accounts"
  "M1 api security::m1_a_stalled_request_body_is_cut_off"
  "M2 api security::m2_imported_numbers_are_checked_against_their_real_domain"
  "M2 api security::m2_a_value_of_the_wrong_type_in_the_database_is_an_error_page_not_a_panic"
  "M3 api cost::m3_others_answers_are_recorded_during_a_large_import"
  "M3 api cost::m3_reviews_per_learner_are_capped_on_import"
  "M4 api cost::m4_export_is_streamed_in_pages_and_equals_the_whole_export"
  "M5 api security::m5_signups_are_limited_per_address_and_overall"
  "L1 api security::l1_option_order_depends_on_the_server_secret"
  "L2 api cost::l2_concept_link_respects_the_daily_new_limit"
  "L3 api cost::l3_review_ids_are_never_reused_after_an_undo"
  "L4 api cost::l4_a_forged_shown_at_is_refused"
  "L5 api security::l5_authenticated_pages_are_not_cached"
  "L6 api cost::l6_csrf_token_differs_per_response_and_each_verifies"
  "L7 api security::l7_common_and_guessable_passwords_are_refused_at_signup"
  "L8 api security::l8_changing_the_password_logs_out_the_other_sessions"
  "L8 api security::l8_log_out_everywhere_ends_every_session"
  "L8 api security::l8_deleting_the_account_removes_all_its_data"
  "L8 api security::l8_sessions_have_an_absolute_lifetime_and_expired_ones_are_purged"
  "L9 api security::l9_the_database_file_is_created_private"
  # The re-test of 2026-12-06 (shared/reviews/security-2026-12-06.md).
  "N1 api retest::n1_an_upload_is_decided_before_its_body_is_read"
  "N1 api retest::n1_uploads_in_flight_are_bounded_per_learner"
  "N2 api retest::n2_overlong_log_in_names_are_neither_stored_nor_counted"
  "N3 api retest::n3_a_download_not_being_read_gives_its_place_back"
  "H3r api retest::h3r_a_known_device_logs_in_during_a_targeted_attack"
  "N5 api retest::n5_a_sign_up_flood_does_not_close_sign_up_for_a_newcomer"
  "N8 api retest::n8_changing_the_password_gives_this_device_a_new_session"
  "N9 api retest::n9_copy_data_refuses_a_missing_source"
  "N9 api retest::n9_copy_data_reads_its_source_only_and_names_a_bad_row"
  "N4 api retest::n4_a_refused_log_in_does_not_wait_for_the_database"
  "M1r api retest::m1r_connections_per_address_are_capped"
  "L7r api security::l7_common_and_guessable_passwords_are_refused_at_signup"
  "L2r api limits::in_page_answers_past_the_new_limit_are_graded_not_recorded"
  "L2r api limits::reading_past_the_limit_says_when_its_concepts_start_and_offers_more"
)
for t in "${tests[@]}"; do
  read -r finding target name <<<"$t"
  if [ -n "$bin" ]; then
    out=$(PAPERDECK_TARGET_BIN="$bin" PAPERDECK_BIN="$bin" RUST_BACKTRACE=0 \
      run_test "$target" "$name" 2>&1)
  else
    out=$(RUST_BACKTRACE=0 run_test "$target" "$name" 2>&1)
  fi
  if grep -q "test result: ok. 1 passed" <<<"$out"; then
    echo "$finding | $name | PASS"
  else
    why=$(grep -A1 "panicked at" <<<"$out" | sed -n 2p | cut -c1-160)
    echo "$finding | $name | FAIL | $why"
  fi
done
