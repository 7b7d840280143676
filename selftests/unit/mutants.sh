#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mutants.sh: each rule of module/fsm.c (and of the fast path in fsm.h)
# that the scenarios claim to prove is taken out of a copy in turn; the
# scenario runner built from that copy must fail. A mutant that passes
# names a rule no scenario holds up. A mutant whose text is no longer in
# the file fails too: the list follows the code.
cd "$(dirname "$0")" || exit 1
source ../lib.sh

B=build/mutants
mkdir -p "$B/module" "$B/include/uapi"
cp ../../include/uapi/tcpstate.h "$B/include/uapi/"

# mutant NAME: the runner built with MUT_OLD replaced by MUT_NEW in
# MUT_FILE (fsm.c unless set) fails.
mutant()
{
	local out f=${MUT_FILE:-fsm.c}

	cp ../../module/fsm.h ../../module/fsm.c ../../module/settings.h "$B/module/"
	python3 - "../../module/$f" "$B/module/$f" <<-EOF || fail "text not found in $f"
	import sys
	s = open(sys.argv[1]).read()
	old, new = '''$MUT_OLD''', '''$MUT_NEW'''
	if s.count(old) != 1:
	    sys.exit(1)
	open(sys.argv[2], 'w').write(s.replace(old, new))
	EOF
	gcc -std=gnu11 -O0 -w -o "$B/runner" runner.c scenarios.c check.c \
		"$B/module/fsm.c" || fail "mutant does not build"
	out=$("$B/runner" | tail -n 1)
	echo "  $out"
	case "$out" in
	*" passed, 0 failed") fail "the scenarios pass without this rule" ;;
	esac
}

m() { MUT_FILE='' MUT_OLD=$2 MUT_NEW=$3; run_test "$1" mutant; }
mh() { MUT_FILE=fsm.h MUT_OLD=$2 MUT_NEW=$3; run_test "$1" mutant; }

TESTS=()
ktap_plan 30
m no_moving_back \
	'if (s == SIV || (fsm->flags & TCPSTATE_F_ENDED))' \
	'if (1)'
m moving_back_after_other_segments \
	'((fsm->flags & TCPSTATE_F_SIMOPEN) || !only_syn_sent(fsm, d)))' \
	'(fsm->flags & TCPSTATE_F_SIMOPEN))'
m ended_record_moves_back \
	'if (s == SIV || (fsm->flags & TCPSTATE_F_ENDED))' \
	'if (s == SIV)'
m fin_again_ignores_its_ack \
	'kind == TCPSTATE_K_FIN_ACKS ?' \
	'1 ?'
m refused_server_hears_the_client \
	'	    kind != TCPSTATE_K_RST)
		rn = fsm->state[p];' \
	'	    kind != TCPSTATE_K_RST)
		(void)0;'
m refused_server_acking_fin_not_close_wait \
	'set_state(fsm, d, fin ? SCW : SES, res);' \
	'set_state(fsm, d, SES, res);'
m rst_without_ack_not_a_refusal \
	'	if (rst_refuses_ack(fsm, seg, d)) {' \
	'	if (0) {'
m cookie_server_holds_a_request \
	'	    (seg->sflags & TCPSTATE_SEG_NO_SOCK))
		sn = SNO;' \
	'	    (seg->sflags & TCPSTATE_SEG_NO_SOCK))
		(void)0;'
m cookie_again_counted_as_retransmission \
	'	if (seg->sflags & TCPSTATE_SEG_NO_SOCK)
		return FSM_DONE;' \
	''
m cookie_takes_any_ack \
	'if (fsm->state[p] == SSR || cookie_sent(fsm, p))' \
	'if (fsm->state[p] == SSR)'
m synack_reusing_isn_not_a_new_connection \
	'	    (kind == TCPSTATE_K_SYNACK &&
	     synack_new_incarnation(fsm, seg, d))) {' \
	'	    0) {'
m new_connection_without_its_syn \
	'	restart_syn(fsm, opt, seg, &first);' \
	'	res_init(fsm, &first, TCPSTATE_K_SYN);'
m rst_at_syn_sequence_refused \
	'!(fsm->hist & HIST_SEQ(p)) && seg->seq == fsm->isn[d])' \
	'0)'
m request_socket_ignored \
	'	if (state == SSR && move_back(fsm, s, TCPSTATE_AGAIN_SYNACK, res)) {' \
	'	if (0) {'
m socket_trusted_at_once \
	'	if ((now >> 24) < last_units(fsm) + 2)
		return;' \
	''
m dropped_request_kept \
	'	if (state == SCL) {' \
	'	if (0) {'
m late_syn_refused \
	'		return late_syn(fsm, seg, d) ? FSM_DONE : FSM_OK;' \
	'		return FSM_OK;'
m window_from_the_senders_end \
	'left = ack_known(fsm, d ^ 1) ? fsm->ack[d ^ 1] : end;' \
	'left = end;'
m old_ack_accepted \
	'	if (seq_before(seg->ack, fsm->ack[d]) && ack_known(fsm, d) &&
	    seq_before(seg->ack, fsm->ack[d] - rcv_window(fsm, d)))
		return TCPSTATE_INV_ACK_OLD;' \
	''
m last_ack_not_highest \
	'	if (ack_known(fsm, d) && !seq_after(seg->ack, fsm->ack[d]))
		return;' \
	''
m unacked_last_byte_is_keepalive \
	'(!ack_known(fsm, d ^ 1) || fsm->ack[d ^ 1] == fsm->end[d]);' \
	'1;'
m fin_rst_not_a_reset \
	'	case TCPSTATE_TH_RST | TCPSTATE_TH_FIN | TCPSTATE_TH_ACK:
		return TCPSTATE_K_RST;' \
	'		return TCPSTATE_K_RST;'
mh fast_path_takes_any_ack \
	'	    seg->ack - fsm->ack[d] > fsm->end[d ^ 1] - fsm->ack[d] ||' \
	''
mh fast_path_keeps_no_ack \
	'	fsm->ack[d] = seg->ack;' \
	''
m overflow_for_a_lost_ack \
	'(seg->sflags & TCPSTATE_SEG_REQ_FULL));' \
	'1);'
m overflow_counted_twice \
	'		res->events |= TCPSTATE_EV_OVERFLOW;
	fsm->pending = 0;
	if (!again)' \
	'		res->events |= TCPSTATE_EV_OVERFLOW;
	if (!again)'
m overflow_for_an_answered_syn \
	'	return d == tcpstate_fsm_orig_dir(fsm) && !fsm->pkts[d ^ 1] &&' \
	'	return d == tcpstate_fsm_orig_dir(fsm) &&'
m overflow_not_when_it_expires \
	'	    (syn_unanswered(fsm, tcpstate_fsm_orig_dir(fsm)) ||' \
	'	    (0 ||'
m overflow_ignores_the_request_socket \
	'	if (refused && state == SSR && fsm->pending' \
	'	if (0 && refused && state == SSR && fsm->pending'
m ack_of_the_fin_after_moving_back_ignored \
	'	    (fsm->hist & HB(p, H_F)))
		sn = STW;' \
	'	    0)
		sn = STW;'
ktap_finish
