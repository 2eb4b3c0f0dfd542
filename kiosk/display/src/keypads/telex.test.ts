import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_TELEX, telexFrom, telexKey, telexType } from './telex.js';

describe('telexType: the brief examples', () => {
  it.each([
    ['Nguyeenx Vawn Aan', 'Nguyễn Văn Ân'],
    ['dduowngf', 'đường'],
    ['tieengs', 'tiếng'],
    ['quas', 'quá'],
    ['gif', 'gì'],
  ])('%s → %s', (keys, text) => {
    expect(telexType(keys)).toBe(text);
  });

  it('puts the tone of oa, oe, uy on the second vowel (the modern rule): hoà, hoè, thuý', () => {
    expect(telexType('hoaf')).toBe('hoà');
    expect(telexType('hoef')).toBe('hoè');
    expect(telexType('thuys')).toBe('thuý');
    expect(telexType('khoer')).toBe('khoẻ');
  });
});

describe('telexType: letters with hats, breves and horns', () => {
  it.each([
    ['aa', 'â'],
    ['ee', 'ê'],
    ['oo', 'ô'],
    ['aw', 'ă'],
    ['ow', 'ơ'],
    ['uw', 'ư'],
    ['w', 'ư'],
    ['nhw', 'như'],
    ['tw', 'tư'],
    ['dd', 'đ'],
    ['DD', 'Đ'],
    ['Dd', 'Đ'],
    ['uow', 'ươ'],
    ['muaw', 'mưa'],
    ['quaw', 'quă'],
    ['hoawcj', 'hoặc'],
    ['nguwowif', 'người'],
    ['huwux', 'hữu'],
    ['muoons', 'muốn'],
    ['gaaps', 'gấp'],
    ['awa', 'â'],
    ['owo', 'ô'],
  ])('%s → %s', (keys, text) => {
    expect(telexType(keys)).toBe(text);
  });

  it('undoes a modifier typed twice and then types that letter as is', () => {
    expect(telexType('aaa')).toBe('aa');
    expect(telexType('aaaa')).toBe('aaa');
    expect(telexType('eee')).toBe('ee');
    expect(telexType('ooo')).toBe('oo');
    expect(telexType('aww')).toBe('aw');
    expect(telexType('uww')).toBe('uw');
    expect(telexType('ww')).toBe('w');
    expect(telexType('www')).toBe('ww');
    expect(telexType('uoww')).toBe('uow');
    expect(telexType('muaww')).toBe('muaw');
    expect(telexType('ddd')).toBe('dd');
    expect(telexType('dddd')).toBe('ddd');
  });
});

describe('telexType: tones', () => {
  it.each([
    ['as', 'á'],
    ['af', 'à'],
    ['ar', 'ả'],
    ['ax', 'ã'],
    ['aj', 'ạ'],
    ['mias', 'mía'],
    ['muaf', 'mùa'],
    ['hair', 'hải'],
    ['caos', 'cáo'],
    ['ruowuj', 'rượu'],
    ['khoais', 'khoái'],
    ['khuyar', 'khuỷa'],
    ['giaf', 'già'],
    ['giuwx', 'giữ'],
    ['quys', 'quý'],
    ['quyeenr', 'quyển'],
    ['tuyeetj', 'tuyệt'],
    ['hieeur', 'hiểu'],
    ['ddaauf', 'đầu'],
    ['ddeemf', 'đềm'],
    ['xets nghieemj', 'xét nghiệm'],
    ['quoocs', 'quốc'],
    ['ddoongf', 'đồng'],
    ['gieets', 'giết'],
    ['giowf', 'giờ'],
    ['cuar', 'của'],
    ['quar', 'quả'],
    ['tooi', 'tôi'],
    ['yeeus', 'yếu'],
    ['chuyeenr', 'chuyển'],
    ['dduowcj', 'được'],
    ['Ddawks Lawks', 'Đắk Lắk'],
    ['Vieetj Nam', 'Việt Nam'],
  ])('%s → %s', (keys, text) => {
    expect(telexType(keys)).toBe(text);
  });

  it('takes the tone key anywhere after the vowel and moves the tone as the word grows', () => {
    expect(telexType('tieesng')).toBe('tiếng');
    expect(telexType('hoasn')).toBe('hoán');
    expect(telexType('hoafng')).toBe('hoàng');
    expect(telexType('tosan')).toBe('toán');
  });

  it('replaces one tone by another, removes it with z, and undoes it when typed twice', () => {
    expect(telexType('asf')).toBe('à');
    expect(telexType('asz')).toBe('a');
    expect(telexType('az')).toBe('az');
    expect(telexType('ass')).toBe('as');
    expect(telexType('asss')).toBe('ass');
    expect(telexType('tesst')).toBe('test');
    expect(telexType('hoaff')).toBe('hoaf');
  });

  it('types a tone key as a letter where there is no vowel to carry it', () => {
    expect(telexType('s')).toBe('s');
    expect(telexType('tr')).toBe('tr');
    expect(telexType('x')).toBe('x');
    expect(telexType('nghj')).toBe('nghj');
  });
});

describe('telexType: case, words and other text', () => {
  it('keeps the case of each key', () => {
    expect(telexType('NGUYEENX')).toBe('NGUYỄN');
    expect(telexType('DDUOWNGF')).toBe('ĐƯỜNG');
    expect(telexType('Aan')).toBe('Ân');
    expect(telexType('TIEENGS')).toBe('TIẾNG');
    expect(telexType('Ddaf Nawngx')).toBe('Đà Nẵng');
    expect(telexType('W')).toBe('Ư');
  });

  it('types words that cannot be Vietnamese as they are', () => {
    expect(telexType('PCR')).toBe('PCR');
    expect(telexType('Covid')).toBe('Covid');
    expect(telexType('F0')).toBe('F0');
    expect(telexType('mak')).toBe('mak');
  });

  it('starts a new word after a space, digit or punctuation', () => {
    expect(telexType('ddi chowj')).toBe('đi chợ');
    expect(telexType('F1, xe 30G')).toBe('F1, xe 30G');
    expect(telexType('a-as')).toBe('a-á');
    expect(telexType('Mieenx phis.')).toBe('Miễn phí.');
    expect(telexType('ass as')).toBe('as á');
  });

  it('writes a whole note', () => {
    expect(telexType('Ddax kieerm tra giaays towf, cho qua.')).toBe('Đã kiểm tra giấy tờ, cho qua.');
    expect(telexType('Nguwowif nhaf ddi cufng')).toBe('Người nhà đi cùng');
  });
});

describe('telexKey', () => {
  it('deletes the last letter with Backspace and keeps composing from what is left', () => {
    let state = telexFrom(telexType('tieengs'));
    state = telexKey(state, 'Backspace');
    expect(state.text).toBe('tiến');
    state = telexKey(state, 'g');
    expect(state.text).toBe('tiếng');
    expect(telexKey(EMPTY_TELEX, 'Backspace').text).toBe('');
  });

  it('continues from text set by the caller (a quick phrase)', () => {
    expect(telexType(' ddi cufng', telexFrom('Người nhà'))).toBe('Người nhà đi cùng');
  });

  it('never throws and always gives NFC text, whatever is typed', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom(...Array.from('aAdDeEoOuUwWsSfFrRxXjJzZinNgGhHqQyY ,.1')),
            fc.constant('Backspace'),
            fc.string({ maxLength: 2 }),
          ),
        ),
        (keys) => {
          let state = EMPTY_TELEX;
          for (const key of keys) state = telexKey(state, key);
          expect(state.text).toBe(state.text.normalize('NFC'));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('only ever changes the current word', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...Array.from('adeouwsfrxjzngh')), maxLength: 12 }),
        fc.string({ unit: fc.constantFrom(...Array.from('adeouwsfrxjzngh')), maxLength: 12 }),
        (first, second) => {
          const head = `${telexType(first)} `;
          expect(telexType(`${first} ${second}`).startsWith(head)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
