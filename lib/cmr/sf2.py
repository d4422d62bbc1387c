"""A small SoundFont 2 (SF2) reader and sample-playback synthesizer.

Why a synthesizer of our own: the workbook must install with ``pip`` alone.
The Python SoundFont players on PyPI either bind the C library FluidSynth
(``pyfluidsynth``: needs the system ``libfluidsynth``) or need PortAudio
headers at install time (``tinysoundfont`` depends on ``pyaudio``). The
General MIDI SoundFont that ``pretty_midi`` ships in its wheel
(``TimGM6mb.sf2``, 6 MB) is all the sound material we need; what is missing
is the player, and a sample player is small:

1. parse the RIFF structure (presets -> instruments -> samples, each level
   with "zones" of generators restricted to key and velocity ranges),
2. for a note (program, key, velocity) collect the matching instrument zones
   and add the preset-level offsets,
3. play each zone's sample resampled by the exact pitch ratio
   ``2 ** (cents / 1200) * sample_rate / out_sr`` (so tuning offsets in cents
   are exact), looping between the loop points while the key is held,
4. shape it with the SF2 volume envelope (delay, attack, hold, decay,
   sustain, release), the zone's attenuation, a velocity curve and the zone's
   static low-pass filter.

The hot loop (one voice, sample by sample) is a numba kernel; the rest is
NumPy. Everything is deterministic: no random numbers, no threads. Not
implemented (they do not change pitch or timing): LFOs, vibrato, the
modulation envelope, chorus/reverb sends, panning (the output is mono) and
modulators other than the default velocity-to-attenuation curve.

Reference: SoundFont Technical Specification 2.04, E-mu Systems (1996-2006).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from numba import njit

# Generator numbers (SF2.04 section 8.1.2) that the player uses.
GEN_START_OFS, GEN_END_OFS, GEN_STARTLOOP_OFS, GEN_ENDLOOP_OFS = 0, 1, 2, 3
GEN_START_COARSE, GEN_END_COARSE = 4, 12
GEN_FILTER_FC, GEN_FILTER_Q = 8, 9
GEN_DELAY_VOL, GEN_ATTACK_VOL, GEN_HOLD_VOL, GEN_DECAY_VOL = 33, 34, 35, 36
GEN_SUSTAIN_VOL, GEN_RELEASE_VOL, GEN_KEY_TO_HOLD, GEN_KEY_TO_DECAY = 37, 38, 39, 40
GEN_INSTRUMENT, GEN_KEY_RANGE, GEN_VEL_RANGE = 41, 43, 44
GEN_STARTLOOP_COARSE, GEN_KEYNUM, GEN_VELOCITY, GEN_ATTENUATION = 45, 46, 47, 48
GEN_ENDLOOP_COARSE, GEN_COARSE_TUNE, GEN_FINE_TUNE, GEN_SAMPLE_ID = 50, 51, 52, 53
GEN_SAMPLE_MODES, GEN_SCALE_TUNING, GEN_EXCLUSIVE, GEN_ROOT_KEY = 54, 56, 57, 58
GEN_MODENV_TO_FC, GEN_DELAY_MOD, GEN_ATTACK_MOD, GEN_HOLD_MOD = 11, 25, 26, 27
GEN_DECAY_MOD, GEN_SUSTAIN_MOD, GEN_RELEASE_MOD, GEN_KEY_TO_MODHOLD, GEN_KEY_TO_MODDECAY = 28, 29, 30, 31, 32

#: Default values of the generators the player reads (SF2.04 table 8.1.3).
GEN_DEFAULTS = {
    GEN_FILTER_FC: 13500, GEN_FILTER_Q: 0, GEN_MODENV_TO_FC: 0,
    GEN_DELAY_MOD: -12000, GEN_ATTACK_MOD: -12000, GEN_HOLD_MOD: -12000, GEN_DECAY_MOD: -12000,
    GEN_SUSTAIN_MOD: 0, GEN_RELEASE_MOD: -12000, GEN_KEY_TO_MODHOLD: 0, GEN_KEY_TO_MODDECAY: 0,
    GEN_DELAY_VOL: -12000, GEN_ATTACK_VOL: -12000, GEN_HOLD_VOL: -12000,
    GEN_DECAY_VOL: -12000, GEN_SUSTAIN_VOL: 0, GEN_RELEASE_VOL: -12000,
    GEN_KEY_TO_HOLD: 0, GEN_KEY_TO_DECAY: 0, GEN_ATTENUATION: 0,
    GEN_COARSE_TUNE: 0, GEN_FINE_TUNE: 0, GEN_SAMPLE_MODES: 0,
    GEN_SCALE_TUNING: 100, GEN_ROOT_KEY: -1, GEN_KEYNUM: -1, GEN_VELOCITY: -1,
}
_RANGE_GENS = (GEN_KEY_RANGE, GEN_VEL_RANGE)
#: Generators that may not appear at preset level (they are sample addresses etc.).
_INSTRUMENT_ONLY = {0, 1, 2, 3, 4, 12, 45, 50, 46, 47, 54, 57, 58, 53}

#: EMU hardware (and FluidSynth) apply 0.4 of the nominal initialAttenuation;
#: SoundFonts are voiced for that, so we do the same.
ATTENUATION_SCALE = 0.4


def default_soundfont_path() -> Path:
    """Path of the General MIDI SoundFont shipped in the ``pretty_midi`` wheel."""
    import pretty_midi

    path = Path(pretty_midi.__file__).resolve().parent / "TimGM6mb.sf2"
    if not path.is_file():
        raise FileNotFoundError(f"default SoundFont not found at {path}; reinstall pretty_midi>=0.2.10")
    return path


@dataclass
class Sample:
    name: str
    start: int
    end: int
    loop_start: int
    loop_end: int
    sample_rate: int
    root_key: int
    pitch_correction: int
    sample_type: int


@dataclass
class Zone:
    """A key/velocity region: generator values (instrument level merged with global zone)."""
    gens: dict
    key_lo: int = 0
    key_hi: int = 127
    vel_lo: int = 0
    vel_hi: int = 127


@dataclass
class Region:
    """Everything needed to play one sample for one note (all SF2 levels merged)."""
    sample: Sample
    gens: dict = field(default_factory=dict)

    def get(self, gen: int) -> int:
        return self.gens.get(gen, GEN_DEFAULTS.get(gen, 0))


def _chunks(data: bytes, start: int, end: int):
    """Iterate over (id, payload_start, payload_end) of RIFF sub-chunks."""
    pos = start
    while pos + 8 <= end:
        cid = data[pos:pos + 4].decode("latin-1")
        size = struct.unpack_from("<I", data, pos + 4)[0]
        yield cid, pos + 8, min(pos + 8 + size, end)
        pos += 8 + size + (size & 1)


def _gen_amount(oper: int, raw: bytes):
    if oper in _RANGE_GENS:
        return (raw[0], raw[1])
    if oper in (GEN_INSTRUMENT, GEN_SAMPLE_ID):
        return struct.unpack("<H", raw)[0]
    return struct.unpack("<h", raw)[0]


def _zones(bags, gens, first: int, last: int, terminal_gen: int):
    """Split bag range [first, last) into (global_zone_or_None, [zones])."""
    global_zone, zones = None, []
    for b in range(first, last):
        g0, g1 = bags[b], bags[b + 1]
        gdict = {}
        for oper, amount in gens[g0:g1]:
            gdict[oper] = amount
        zone = Zone(gdict)
        if GEN_KEY_RANGE in gdict:
            zone.key_lo, zone.key_hi = gdict.pop(GEN_KEY_RANGE)
        if GEN_VEL_RANGE in gdict:
            zone.vel_lo, zone.vel_hi = gdict.pop(GEN_VEL_RANGE)
        if terminal_gen in gdict:
            zones.append(zone)
        elif b == first and global_zone is None:
            global_zone = zone
        # other zones without terminal generator are ignored (spec)
    return global_zone, zones


class SoundFont:
    """A parsed SF2 file: presets, instruments, samples and the sample data.

    Parameters
    ----------
    path : str or Path or None
        The ``.sf2`` file; ``None`` uses :func:`default_soundfont_path`.

    Attributes
    ----------
    data : np.ndarray, shape (n,), float32
        All sample data of the file in [-1, 1].
    presets : dict
        ``(bank, program) -> (name, global_zone, zones)``.
    """

    def __init__(self, path=None):
        self.path = Path(path) if path is not None else default_soundfont_path()
        if not self.path.is_file():
            raise FileNotFoundError(f"SoundFont: no such file {self.path}")
        raw = self.path.read_bytes()
        if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"sfbk":
            raise ValueError(f"SoundFont: {self.path} is not an SF2 file (no RIFF/sfbk header)")
        lists = {}
        for cid, a, b in _chunks(raw, 12, len(raw)):
            if cid == "LIST":
                lists[raw[a:a + 4].decode("latin-1")] = (a + 4, b)
        if "sdta" not in lists or "pdta" not in lists:
            raise ValueError(f"SoundFont: {self.path} lacks the sdta or pdta list")
        smpl = None
        for cid, a, b in _chunks(raw, *lists["sdta"]):
            if cid == "smpl":
                smpl = np.frombuffer(raw, dtype="<i2", count=(b - a) // 2, offset=a)
        if smpl is None:
            raise ValueError(f"SoundFont: {self.path} has no smpl chunk")
        self.data = (smpl.astype(np.float32) / np.float32(32768.0))
        pd = {cid: raw[a:b] for cid, a, b in _chunks(raw, *lists["pdta"])}
        self._parse_pdta(pd)
        self._region_cache: dict = {}

    def _parse_pdta(self, pd):
        def records(name, fmt):
            size = struct.calcsize(fmt)
            chunk = pd[name]
            return [struct.unpack_from(fmt, chunk, i * size) for i in range(len(chunk) // size)]

        def gen_list(name):
            return [(oper, _gen_amount(oper, pd[name][i * 4 + 2:i * 4 + 4]))
                    for i, (oper,) in enumerate(records(name, "<H2x"))]

        phdr = records("phdr", "<20sHHHIII")
        pbag = [r[0] for r in records("pbag", "<HH")]
        pgen = gen_list("pgen")
        inst = records("inst", "<20sH")
        ibag = [r[0] for r in records("ibag", "<HH")]
        igen = gen_list("igen")
        shdr = records("shdr", "<20sIIIIIBbHH")

        def name(b):
            return b.split(b"\0", 1)[0].decode("latin-1").strip()

        self.samples = [Sample(name(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[9]) for r in shdr[:-1]]
        self.instruments = []
        for i in range(len(inst) - 1):
            g, zones = _zones(ibag, igen, inst[i][1], inst[i + 1][1], GEN_SAMPLE_ID)
            self.instruments.append((name(inst[i][0]), g, zones))
        self.presets = {}
        for i in range(len(phdr) - 1):
            g, zones = _zones(pbag, pgen, phdr[i][3], phdr[i + 1][3], GEN_INSTRUMENT)
            self.presets.setdefault((phdr[i][2], phdr[i][1]), (name(phdr[i][0]), g, zones))

    def preset_name(self, program: int, bank: int = 0) -> str:
        return self._find_preset(program, bank)[0]

    def _find_preset(self, program: int, bank: int):
        for key in ((bank, program), (0, program), (bank, 0), (0, 0)):
            if key in self.presets:
                return self.presets[key]
        raise ValueError(f"SoundFont {self.path.name}: no preset for bank {bank}, program {program}")

    def regions(self, program: int, key: int, velocity: int, bank: int = 0) -> list[Region]:
        """The sample regions that sound for a note (cached per argument tuple).

        Parameters
        ----------
        program : int, General MIDI program 0..127
        key : int, MIDI key 0..127
        velocity : int, 1..127
        bank : int, 0 for melodic presets, 128 for percussion
        """
        ck = (program, key, velocity, bank)
        hit = self._region_cache.get(ck)
        if hit is not None:
            return hit
        _, pglobal, pzones = self._find_preset(program, bank)
        out = []
        for pz in pzones:
            if not (pz.key_lo <= key <= pz.key_hi and pz.vel_lo <= velocity <= pz.vel_hi):
                continue
            if pglobal is not None and not (pglobal.key_lo <= key <= pglobal.key_hi
                                            and pglobal.vel_lo <= velocity <= pglobal.vel_hi):
                continue
            pgens = dict(pglobal.gens) if pglobal is not None else {}
            pgens.update(pz.gens)
            inst_index = pgens.pop(GEN_INSTRUMENT)
            _, iglobal, izones = self.instruments[inst_index]
            for iz in izones:
                if not (iz.key_lo <= key <= iz.key_hi and iz.vel_lo <= velocity <= iz.vel_hi):
                    continue
                gens = dict(iglobal.gens) if iglobal is not None else {}
                gens.update(iz.gens)
                for oper, amount in pgens.items():  # preset level adds to instrument level
                    if oper in _INSTRUMENT_ONLY or oper in _RANGE_GENS:
                        continue
                    gens[oper] = gens.get(oper, GEN_DEFAULTS.get(oper, 0)) + amount
                sample = self.samples[gens.pop(GEN_SAMPLE_ID)]
                out.append(Region(sample, gens))
        self._region_cache[ck] = out
        return out


@lru_cache(maxsize=4)
def load_soundfont(path: str | None = None) -> SoundFont:
    """A cached :class:`SoundFont` (parsing takes ~0.1 s; do it once per process)."""
    return SoundFont(path)


def _tc_to_seconds(tc: float) -> float:
    return float(2.0 ** (tc / 1200.0))


def voice_parameters(sf: SoundFont, program: int, key: int, velocity: int, cents: float,
                     sr: int, bank: int = 0):
    """Per-voice playback parameters for one note (list of tuples, one per region).

    ``cents`` is the sounding pitch offset of the note from ``key`` (e.g. a
    tuning offset of the whole version, between -100 and 100).
    """
    velocity = int(min(127, max(1, velocity)))
    key = int(min(127, max(0, key)))
    out = []
    for reg in sf.regions(program, key, velocity, bank):
        s = reg.sample
        g = reg.get
        start = s.start + g(GEN_START_OFS) + 32768 * g(GEN_START_COARSE)
        end = s.end + g(GEN_END_OFS) + 32768 * g(GEN_END_COARSE)
        lstart = s.loop_start + g(GEN_STARTLOOP_OFS) + 32768 * g(GEN_STARTLOOP_COARSE)
        lend = s.loop_end + g(GEN_ENDLOOP_OFS) + 32768 * g(GEN_ENDLOOP_COARSE)
        n = len(sf.data)
        start, end = max(0, min(start, n - 1)), max(0, min(end, n))
        if end - start < 4:
            continue
        mode = g(GEN_SAMPLE_MODES) & 3
        if mode == 2:
            mode = 0
        if mode and not (start <= lstart < lend <= end and lend - lstart >= 2):
            mode = 0
        root = g(GEN_ROOT_KEY)
        if root < 0:
            root = s.root_key if s.root_key <= 127 else 60
        pitch_key = g(GEN_KEYNUM) if g(GEN_KEYNUM) >= 0 else key
        total_cents = ((pitch_key - root) * g(GEN_SCALE_TUNING) + cents
                       + 100 * g(GEN_COARSE_TUNE) + g(GEN_FINE_TUNE) + s.pitch_correction)
        step = 2.0 ** (total_cents / 1200.0) * s.sample_rate / sr
        vel = g(GEN_VELOCITY) if g(GEN_VELOCITY) >= 0 else velocity
        # default modulator: velocity -> attenuation, concave, up to 96 dB; this
        # curve is 40*log10(vel/127) dB, the usual MIDI velocity law.
        att_cb = ATTENUATION_SCALE * g(GEN_ATTENUATION) + min(960.0, -400.0 * np.log10(vel / 127.0))
        gain = 10.0 ** (-att_cb / 200.0)
        if s.sample_type in (2, 4):  # one channel of a stereo pair: average to mono
            gain *= 0.5
        key_dev = 60 - key
        delay = _tc_to_seconds(g(GEN_DELAY_VOL))
        attack = _tc_to_seconds(g(GEN_ATTACK_VOL))
        hold = _tc_to_seconds(g(GEN_HOLD_VOL) + g(GEN_KEY_TO_HOLD) * key_dev)
        decay = _tc_to_seconds(g(GEN_DECAY_VOL) + g(GEN_KEY_TO_DECAY) * key_dev)
        sustain_cb = min(1440.0, max(0.0, float(g(GEN_SUSTAIN_VOL))))
        release = min(_tc_to_seconds(g(GEN_RELEASE_VOL)), 8.0)
        # static filter cutoff (absolute cents) and the modulation envelope that moves it
        mod_delay = _tc_to_seconds(g(GEN_DELAY_MOD))
        mod_attack = _tc_to_seconds(g(GEN_ATTACK_MOD))
        mod_hold = _tc_to_seconds(g(GEN_HOLD_MOD) + g(GEN_KEY_TO_MODHOLD) * key_dev)
        mod_decay = _tc_to_seconds(g(GEN_DECAY_MOD) + g(GEN_KEY_TO_MODDECAY) * key_dev)
        mod_sustain = 1.0 - min(1000.0, max(0.0, float(g(GEN_SUSTAIN_MOD)))) / 1000.0
        mod_release = min(_tc_to_seconds(g(GEN_RELEASE_MOD)), 8.0)
        out.append(dict(start=start, end=end, loop_start=lstart, loop_end=lend, mode=mode,
                        step=step, gain=gain, delay=delay, attack=attack, hold=hold, decay=decay,
                        sustain=10.0 ** (-sustain_cb / 200.0), release=release,
                        fc_cents=float(g(GEN_FILTER_FC)), q_db=max(0.0, g(GEN_FILTER_Q) / 10.0),
                        mod_to_fc=float(g(GEN_MODENV_TO_FC)), mod_delay=mod_delay, mod_attack=mod_attack,
                        mod_hold=mod_hold, mod_decay=mod_decay, mod_sustain=mod_sustain,
                        mod_release=mod_release))
    return out


@njit(cache=True, nogil=True)
def _lowpass(fc_cents, q_lin, sr, coef):
    """RBJ biquad low-pass coefficients for a cutoff in absolute cents (into ``coef``)."""
    fc = 8.176 * 2.0 ** (fc_cents / 1200.0)
    if fc > 0.45 * sr:
        fc = 0.45 * sr
    if fc < 10.0:
        fc = 10.0
    w0 = 2.0 * np.pi * fc / sr
    alpha = np.sin(w0) / (2.0 * q_lin)
    cw = np.cos(w0)
    a0 = 1.0 + alpha
    coef[0] = (1.0 - cw) / 2.0 / a0
    coef[1] = 2.0 * coef[0]
    coef[2] = coef[0]
    coef[3] = -2.0 * cw / a0
    coef[4] = (1.0 - alpha) / a0


@njit(cache=True, nogil=True)
def _sample_at(data, i, start, end, loop_start, loop_end, looping):
    if looping:
        if i >= loop_end:
            i = loop_start + (i - loop_start) % (loop_end - loop_start)
    if i < start or i >= end:
        return np.float32(0.0)
    return data[i]


FILTER_BLOCK = 16  # samples between filter-coefficient updates


@njit(cache=True, nogil=True)
def render_voices(out, data, sr, v_target, v_onset, v_offset, v_start, v_end, v_lstart, v_lend, v_mode,
                  v_step, v_gain, v_env, v_filter, v_fenv):
    """Mix every voice into ``out`` (shape (n_targets, n_samples), float32), in order.

    Voice v starts at output sample ``v_onset[v]`` and is released at
    ``v_offset[v]``. Its sample is read at position ``v_start + k * v_step``
    with 4-point cubic (Catmull-Rom) interpolation; it loops between
    ``v_lstart`` and ``v_lend`` when ``v_mode`` is 1 (always) or 3 (until
    release). The volume envelope ``v_env[v] = (delay, attack, hold (samples),
    per-sample decay factor, sustain level, per-sample release factor)`` is
    linear in amplitude during attack and linear in dB during decay and
    release, as in SF2. When ``v_filter[v]`` is set, a biquad low-pass
    follows, its cutoff ``fc + to_fc * modenv`` (cents) moved by the
    modulation envelope ``v_fenv[v] = (fc, q_lin, to_fc, delay, attack,
    hold (samples), decay step, sustain, release step)``.
    """
    n_out = out.shape[1]
    floor = 3e-4  # -70 dB below full scale: the voice is finished
    coef = np.zeros(5)
    for v in range(v_onset.shape[0]):
        tgt = v_target[v]
        s0 = v_start[v]
        s_end = v_end[v]
        ls = v_lstart[v]
        le = v_lend[v]
        mode = v_mode[v]
        step = v_step[v]
        gain0 = v_gain[v]
        delay = v_env[v, 0]
        attack = v_env[v, 1]
        hold = v_env[v, 2]
        dmul = v_env[v, 3]
        sus = v_env[v, 4]
        rmul = v_env[v, 5]
        use_f = v_filter[v]
        fc0 = v_fenv[v, 0]
        q_lin = v_fenv[v, 1]
        to_fc = v_fenv[v, 2]
        m_delay = v_fenv[v, 3]
        m_attack = v_fenv[v, 4]
        m_hold = v_fenv[v, 5]
        m_dstep = v_fenv[v, 6]
        m_sus = v_fenv[v, 7]
        m_rstep = v_fenv[v, 8]
        x1 = 0.0
        x2 = 0.0
        y1 = 0.0
        y2 = 0.0
        pos = 0.0  # read position relative to s0, in sample-data samples
        env = 0.0
        decay_level = 1.0
        menv = 0.0
        mdecay = 1.0
        released = False
        n = v_onset[v]
        k = 0
        off = v_offset[v]
        while n < n_out:
            if n >= off and not released:
                released = True
            looping = mode == 1 or (mode == 3 and not released)
            ipos = int(pos)
            idx = s0 + ipos
            if looping and idx >= le:
                span = le - ls
                over = (idx - ls) % span
                pos -= float(idx - (ls + over))
                ipos = int(pos)
                idx = s0 + ipos
            if not looping and idx >= s_end - 1:
                break
            frac = pos - ipos
            if idx > s0 and idx + 2 < (le if looping else s_end):  # fast path: no wrap, no edge
                xm1 = data[idx - 1]
                x0 = data[idx]
                xp1 = data[idx + 1]
                xp2 = data[idx + 2]
            else:
                xm1 = _sample_at(data, idx - 1, s0, s_end, ls, le, looping)
                x0 = _sample_at(data, idx, s0, s_end, ls, le, looping)
                xp1 = _sample_at(data, idx + 1, s0, s_end, ls, le, looping)
                xp2 = _sample_at(data, idx + 2, s0, s_end, ls, le, looping)
            c1 = 0.5 * (xp1 - xm1)
            c2 = xm1 - 2.5 * x0 + 2.0 * xp1 - 0.5 * xp2
            c3 = 0.5 * (xp2 - xm1) + 1.5 * (x0 - xp1)
            x = ((c3 * frac + c2) * frac + c1) * frac + x0
            t = float(k)
            # volume envelope
            if released:
                env *= rmul
                if env * gain0 < floor:
                    break
            elif t < delay:
                env = 0.0
            elif t < delay + attack:
                env = (t - delay) / attack
            elif t < delay + attack + hold:
                env = 1.0
            else:
                if decay_level > sus:
                    decay_level *= dmul
                    if decay_level < sus:
                        decay_level = sus
                env = decay_level
                if env * gain0 < floor:
                    break
            if use_f:
                if k % FILTER_BLOCK == 0:
                    # modulation envelope (linear segments), evaluated per block
                    if released:
                        menv -= m_rstep * FILTER_BLOCK
                        if menv < 0.0:
                            menv = 0.0
                    elif t < m_delay:
                        menv = 0.0
                    elif t < m_delay + m_attack:
                        menv = (t - m_delay) / m_attack
                    elif t < m_delay + m_attack + m_hold:
                        menv = 1.0
                    else:
                        if mdecay > m_sus:
                            mdecay -= m_dstep * FILTER_BLOCK
                            if mdecay < m_sus:
                                mdecay = m_sus
                        menv = mdecay
                    _lowpass(fc0 + to_fc * menv, q_lin, sr, coef)
                y = coef[0] * x + coef[1] * x1 + coef[2] * x2 - coef[3] * y1 - coef[4] * y2
                x2 = x1
                x1 = x
                y2 = y1
                y1 = y
                x = y
            out[tgt, n] += np.float32(x * env * gain0)
            pos += step
            n += 1
            k += 1


def render_notes(onsets, offsets, programs, keys, velocities, targets, n_targets: int, n_samples: int,
                 sr: int, cents: float = 0.0, soundfont: SoundFont | None = None, banks=None):
    """Render notes with a SoundFont into ``n_targets`` mono buffers.

    Parameters
    ----------
    onsets, offsets : np.ndarray, shape (n,), int
        Note-on and note-off positions in output samples.
    programs, keys, velocities : np.ndarray, shape (n,), int
        General MIDI program, MIDI key (0..127) and velocity (1..127).
    targets : np.ndarray, shape (n,), int
        Output row of each note (e.g. its part, for stems).
    n_targets, n_samples : int
        Shape of the output.
    sr : int, output sample rate in Hz
    cents : float or np.ndarray, shape (n,)
        Pitch offset from the equal-tempered key, in cents.
    soundfont : SoundFont, optional; default :func:`load_soundfont`
    banks : np.ndarray, shape (n,), optional; 128 selects percussion

    Returns
    -------
    out : np.ndarray, shape (n_targets, n_samples), float32
    """
    sf = soundfont if soundfont is not None else load_soundfont()
    n = len(onsets)
    cents_arr = np.broadcast_to(np.asarray(cents, dtype=np.float64), (n,))
    rows = []
    cache = {}
    for i in range(n):
        ck = (int(programs[i]), int(keys[i]), int(velocities[i]), float(cents_arr[i]),
              0 if banks is None else int(banks[i]))
        vps = cache.get(ck)
        if vps is None:
            vps = [_voice_row(p, sr) for p in voice_parameters(sf, ck[0], ck[1], ck[2], ck[3], sr, ck[4])]
            cache[ck] = vps
        for row in vps:
            rows.append((int(targets[i]), int(onsets[i]), int(max(offsets[i], onsets[i] + 1)), row))
    out = np.zeros((n_targets, n_samples), dtype=np.float32)
    if not rows:
        return out
    ints = np.array([[r[0], r[1], r[2], r[3][0], r[3][1], r[3][2], r[3][3], r[3][4]] for r in rows],
                    dtype=np.int64)
    render_voices(out, sf.data, float(sr), ints[:, 0], ints[:, 1], ints[:, 2], ints[:, 3], ints[:, 4],
                  ints[:, 5], ints[:, 6], ints[:, 7].astype(np.int8),
                  np.array([r[3][5] for r in rows]), np.array([r[3][6] for r in rows]),
                  np.array([r[3][7] for r in rows]).reshape(-1, 6),
                  np.array([r[3][8] for r in rows], dtype=np.bool_),
                  np.array([r[3][9] for r in rows]).reshape(-1, 9))
    return out


def _voice_row(p: dict, sr: int):
    """Pack one region's parameters (seconds) into the kernel's units (samples)."""
    env = (p["delay"] * sr, max(p["attack"] * sr, 1.0), p["hold"] * sr,
           10.0 ** (-96.0 / 20.0 / max(p["decay"] * sr, 1.0)), p["sustain"],
           10.0 ** (-96.0 / 20.0 / max(p["release"] * sr, 1.0)))
    q_lin = max(10.0 ** ((p["q_db"] - 3.01) / 20.0), 0.5)
    max_fc = p["fc_cents"] + max(0.0, p["mod_to_fc"])
    use_filter = 8.176 * 2.0 ** (max_fc / 1200.0) < 0.45 * sr or p["mod_to_fc"] < 0
    fenv = (p["fc_cents"], q_lin, p["mod_to_fc"], p["mod_delay"] * sr, max(p["mod_attack"] * sr, 1.0),
            p["mod_hold"] * sr, 1.0 / max(p["mod_decay"] * sr, 1.0), p["mod_sustain"],
            1.0 / max(p["mod_release"] * sr, 1.0))
    return (p["start"], p["end"], p["loop_start"], p["loop_end"], p["mode"], p["step"], p["gain"],
            env, use_filter, fenv)
