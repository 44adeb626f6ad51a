"""Hypothesis strategies for STREAM frames and packets."""

from __future__ import annotations

from hypothesis import strategies as st

from ilpnode.ilp import MAX_UINT64
from ilpnode.ilp.stream import (
    ConnectionAssetDetails,
    ConnectionClose,
    ConnectionDataBlocked,
    ConnectionMaxData,
    ConnectionMaxStreamId,
    ConnectionNewAddress,
    ConnectionStreamIdBlocked,
    Frame,
    FrameType,
    StreamClose,
    StreamData,
    StreamDataBlocked,
    StreamMaxData,
    StreamMaxMoney,
    StreamMoney,
    StreamMoneyBlocked,
    StreamPacket,
    StreamReceipt,
    UnknownFrame,
)

u64 = st.integers(min_value=0, max_value=MAX_UINT64)
u8 = st.integers(min_value=0, max_value=255)
text = st.text(max_size=40)
unknown_types = u8.filter(lambda t: t not in {int(f) for f in FrameType})

frames: st.SearchStrategy[Frame] = st.one_of(
    st.builds(ConnectionClose, u8, text),
    st.builds(ConnectionNewAddress, text),
    st.builds(ConnectionMaxData, u64),
    st.builds(ConnectionDataBlocked, u64),
    st.builds(ConnectionMaxStreamId, u64),
    st.builds(ConnectionStreamIdBlocked, u64),
    st.builds(ConnectionAssetDetails, text, u8),
    st.builds(StreamClose, u64, u8, text),
    st.builds(StreamMoney, u64, u64),
    st.builds(StreamMaxMoney, u64, u64, u64),
    st.builds(StreamMoneyBlocked, u64, u64, u64),
    st.builds(StreamData, u64, u64, st.binary(max_size=50)),
    st.builds(StreamMaxData, u64, u64),
    st.builds(StreamDataBlocked, u64, u64),
    st.builds(StreamReceipt, u64, st.binary(max_size=60)),
    st.builds(UnknownFrame, unknown_types, st.binary(max_size=20)),
)

packets: st.SearchStrategy[StreamPacket] = st.builds(
    StreamPacket,
    sequence=u64,
    ilp_packet_type=st.sampled_from([12, 13, 14]),
    prepare_amount=u64,
    frames=st.lists(frames, max_size=8).map(tuple),
)
