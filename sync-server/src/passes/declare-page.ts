// The public declaration page (`GET /declare`): one server-rendered HTML document with its style
// and script inline (under a per-response nonce), no outside requests. Vietnamese first, English
// on a tap; one column that fits a 360 px phone. It posts to `/api/v1/public/declarations` and
// shows the pass's QR (SVG), a PNG download drawn from that SVG in the browser, and a print view.
import type { Province } from './provinces.js';

/** What the page is rendered with. */
export interface DeclarePageInput {
  /** Base64 nonce for the inline style and script (the CSP names it). */
  readonly nonce: string;
  /** Today in Vietnam, `YYYY-MM-DD`: the earliest travel date. */
  readonly today: string;
  /** The latest travel date, `YYYY-MM-DD`. */
  readonly maxDate: string;
  readonly provinces: readonly Province[];
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page's Content-Security-Policy: its own nonce for the inline style and script, requests to this origin only. */
export function declarePageCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** Texts of the page, Vietnamese and English, by key (the script switches between them). */
const TEXTS = {
  title: ['Khai báo di chuyển', 'Movement declaration'],
  intro: [
    'Khai báo chuyến đi để nhận mã QR qua chốt kiểm soát. Không cần tài khoản.',
    'Declare your trip to get a QR pass for checkpoints. No account needed.',
  ],
  personalId: ['Số CCCD (12 chữ số)', 'Personal ID (12 digits)'],
  fullName: ['Họ và tên', 'Full name'],
  phone: ['Số điện thoại', 'Phone number'],
  from: ['Nơi đi', 'From'],
  to: ['Nơi đến', 'To'],
  province: ['Tỉnh/thành phố', 'Province/city'],
  choose: ['— Chọn —', '— Choose —'],
  district: ['Mã quận/huyện (3 số, không bắt buộc)', 'District code (3 digits, optional)'],
  ward: ['Mã phường/xã (5 số, không bắt buộc)', 'Ward code (5 digits, optional)'],
  plate: ['Biển số xe (không bắt buộc)', 'Vehicle plate (optional)'],
  purpose: ['Mục đích chuyến đi', 'Purpose of the trip'],
  travelDate: ['Ngày đi', 'Travel date'],
  submit: ['Gửi khai báo', 'Submit declaration'],
  sending: ['Đang gửi…', 'Sending…'],
  areaNote: [
    'Danh sách tỉnh/thành theo mã của Tổng cục Thống kê; mã quận/huyện và phường/xã tra trên danh mục hành chính của Tổng cục Thống kê.',
    'Provinces by General Statistics Office code; look district and ward codes up in the GSO administrative-unit list.',
  ],
  passTitle: ['Mã QR qua chốt', 'Checkpoint pass'],
  validity: ['Hiệu lực', 'Valid'],
  passId: ['Mã khai báo', 'Declaration id'],
  route: ['Lộ trình', 'Route'],
  png: ['Tải ảnh PNG', 'Download PNG'],
  print: ['In', 'Print'],
  again: ['Khai báo khác', 'Another declaration'],
  keep: [
    'Đưa mã QR này cho cán bộ tại chốt. Mã có chữ ký số; không sửa được.',
    'Show this QR code at the checkpoint. It is digitally signed and cannot be altered.',
  ],
  held: [
    'Đã nhận khai báo. Vui lòng liên hệ trạm y tế địa phương trước khi đi.',
    'Your declaration was received. Please contact your local health station before travelling.',
  ],
  err_personal_id_invalid: ['Số CCCD không hợp lệ.', 'The personal ID is not valid.'],
  err_full_name_invalid: ['Vui lòng nhập họ và tên.', 'Please enter your full name.'],
  err_phone_invalid: [
    'Số điện thoại không hợp lệ (8–15 chữ số).',
    'The phone number is not valid (8–15 digits).',
  ],
  err_area_invalid: [
    'Mã quận/huyện phải có đến 3 số, mã phường/xã đến 5 số.',
    'A district code has up to 3 digits, a ward code up to 5.',
  ],
  err_province_unknown: ['Vui lòng chọn tỉnh/thành phố.', 'Please choose a province.'],
  err_plate_invalid: [
    'Biển số xe không hợp lệ (ví dụ 51F-123.45).',
    'The plate is not valid (e.g. 51F-123.45).',
  ],
  err_purpose_invalid: ['Vui lòng nhập mục đích chuyến đi.', 'Please enter the purpose of the trip.'],
  err_travel_date_invalid: ['Ngày đi không hợp lệ.', 'The travel date is not valid.'],
  err_travel_date_past: ['Ngày đi đã qua.', 'The travel date is in the past.'],
  err_travel_date_too_far: ['Ngày đi quá xa.', 'The travel date is too far ahead.'],
  err_rate_limited: [
    'Quá nhiều lần khai báo. Vui lòng thử lại sau.',
    'Too many declarations. Please try again later.',
  ],
  err_bad_request: [
    'Thông tin chưa đúng. Vui lòng kiểm tra lại.',
    'Some details are not right. Please check them.',
  ],
  err_network: [
    'Không kết nối được máy chủ. Vui lòng thử lại.',
    'Cannot reach the server. Please try again.',
  ],
  err_other: ['Có lỗi xảy ra. Vui lòng thử lại.', 'Something went wrong. Please try again.'],
} as const satisfies Record<string, readonly [string, string]>;

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111;background:#f4f6f8}
header{display:flex;justify-content:space-between;align-items:center;padding:10px 14px;background:#0b5394;color:#fff}
header h1{font-size:1.15rem;margin:0}
header button{background:#fff;color:#0b5394;border:0;border-radius:6px;padding:6px 10px;font-size:.9rem}
main{max-width:520px;margin:0 auto;padding:12px}
fieldset{border:1px solid #c8d0d8;border-radius:8px;margin:0 0 12px;padding:8px 10px;background:#fff}
legend{font-weight:600;padding:0 4px}
label{display:block;margin:8px 0 2px;font-size:.95rem}
input,select{width:100%;font-size:16px;padding:10px;border:1px solid #9aa5b1;border-radius:6px;background:#fff}
button.primary{width:100%;font-size:1.05rem;padding:12px;border:0;border-radius:8px;background:#0b5394;color:#fff;margin-top:6px}
button.primary[disabled]{opacity:.6}
.note{font-size:.85rem;color:#46505a}
.error{color:#a4000f;font-weight:600;min-height:1.4em;margin:8px 0}
#result{display:none;background:#fff;border-radius:8px;padding:12px;text-align:center}
#qr svg{width:100%;max-width:420px;height:auto;display:block;margin:0 auto}
.facts{text-align:left;margin:10px 0;font-size:.95rem}
.facts div{margin:3px 0}
.actions{display:flex;gap:8px;flex-wrap:wrap}
.actions button,.actions a{flex:1 1 140px;font-size:1rem;padding:10px;border-radius:8px;border:1px solid #0b5394;background:#fff;color:#0b5394;text-align:center;text-decoration:none}
.held{font-size:1.1rem;font-weight:600;color:#7a4b00;background:#fff4d6;padding:14px;border-radius:8px}
@media print{
  header,form,.actions,.note,.error{display:none!important}
  body{background:#fff}
  main{max-width:none;padding:0}
  #result{display:block!important;padding:0}
  #qr svg{width:110mm;max-width:none}
}
`;

/** The script: language switch, submit, result, PNG and print. Texts and provinces come as JSON. */
const SCRIPT = `
(function(){
  var T=JSON.parse(document.getElementById('texts').textContent);
  var P=JSON.parse(document.getElementById('provinces').textContent);
  var lang='vi';
  try{ if(localStorage.getItem('declare-lang')==='en') lang='en'; }catch(e){}
  var $=function(id){return document.getElementById(id);};
  var t=function(k){var v=T[k]||T.err_other;return v[lang==='en'?1:0];};
  var last=null;
  function fillProvinces(){
    ['fromProvince','toProvince'].forEach(function(id){
      var sel=$(id),keep=sel.value;
      sel.textContent='';
      var o=document.createElement('option');o.value='';o.textContent=t('choose');sel.appendChild(o);
      P.forEach(function(p){var o=document.createElement('option');o.value=String(p.code);
        o.textContent=(p.code<10?'0':'')+p.code+' – '+(lang==='en'?p.en:p.vi);sel.appendChild(o);});
      sel.value=keep;
    });
  }
  function apply(){
    document.documentElement.lang=lang;
    document.querySelectorAll('[data-t]').forEach(function(el){el.textContent=t(el.getAttribute('data-t'));});
    $('lang').textContent=lang==='en'?'Tiếng Việt':'English';
    document.title=t('title');
    fillProvinces();
    if(last) showFacts(last);
  }
  $('lang').addEventListener('click',function(){
    lang=lang==='en'?'vi':'en';
    try{localStorage.setItem('declare-lang',lang);}catch(e){}
    apply();
  });
  function num(id){var v=$(id).value.trim();return v===''?null:Number(v);}
  function fmt(ms){
    var d=new Date(ms+7*3600000),p=function(n){return (n<10?'0':'')+n;};
    return p(d.getUTCHours())+':'+p(d.getUTCMinutes())+' '+p(d.getUTCDate())+'/'+p(d.getUTCMonth()+1)+'/'+d.getUTCFullYear();
  }
  function provinceName(code){
    for(var i=0;i<P.length;i++) if(P[i].code===code) return lang==='en'?P[i].en:P[i].vi;
    return String(code);
  }
  function showFacts(r){
    // No pass (health hold): no validity to show.
    $('validityRow').style.display=r.passId?'':'none';
    $('validity').textContent=r.passId?fmt(r.validFrom)+' → '+fmt(r.validUntil)+' (UTC+7)':'';
    $('passId').textContent=r.passId||r.declarationId;
    $('route').textContent=provinceName(r.fromProvince)+' → '+provinceName(r.toProvince);
  }
  $('form').addEventListener('submit',function(ev){
    ev.preventDefault();
    var btn=$('submit');btn.disabled=true;btn.textContent=t('sending');$('error').textContent='';
    var plate=$('plate').value.trim();
    var body={personalId:$('personalId').value.trim(),fullName:$('fullName').value,phone:$('phone').value,
      from:{province:Number($('fromProvince').value)||0,district:num('fromDistrict'),ward:num('fromWard')},
      to:{province:Number($('toProvince').value)||0,district:num('toDistrict'),ward:num('toWard')},
      plate:plate===''?null:plate,purpose:$('purpose').value,travelDate:$('travelDate').value};
    fetch('/api/v1/public/declarations',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify(body)})
      .then(function(res){return res.json().then(function(j){return {status:res.status,body:j};},function(){return {status:res.status,body:{}};});})
      .then(function(r){
        btn.disabled=false;btn.textContent=t('submit');
        if(r.status!==201){
          var code=r.body&&r.body.error;
          $('error').textContent=T['err_'+code]?t('err_'+code):(r.status===429?t('err_rate_limited'):t('err_other'));
          return;
        }
        last={passId:r.body.passId,declarationId:r.body.declarationId,validFrom:r.body.validFrom,validUntil:r.body.validUntil,
          fromProvince:body.from.province,toProvince:body.to.province};
        $('form').reset();$('form').style.display='none';
        $('result').style.display='block';
        var has=!!r.body.qrSvg;
        if(has) $('qr').innerHTML=r.body.qrSvg; else $('qr').textContent='';
        $('pass').style.display=has?'block':'none';$('held').style.display=has?'none':'block';
        $('png').style.display=has?'':'none';$('print').style.display=has?'':'none';
        showFacts(last);
        window.scrollTo(0,0);
      },function(){btn.disabled=false;btn.textContent=t('submit');$('error').textContent=t('err_network');});
  });
  $('png').addEventListener('click',function(){
    var svg=$('qr').querySelector('svg');if(!svg||!last)return;
    var size=1024,clone=svg.cloneNode(true);
    clone.setAttribute('width',String(size));clone.setAttribute('height',String(size));
    var img=new Image();
    img.onload=function(){
      var c=document.createElement('canvas');c.width=size;c.height=size;
      var g=c.getContext('2d');g.imageSmoothingEnabled=false;g.fillStyle='#fff';g.fillRect(0,0,size,size);g.drawImage(img,0,0,size,size);
      c.toBlob(function(b){if(!b)return;var a=document.createElement('a');a.href=URL.createObjectURL(b);
        a.download='the-qua-chot-'+(last.passId||'pass')+'.png';document.body.appendChild(a);a.click();
        setTimeout(function(){URL.revokeObjectURL(a.href);a.remove();},1000);},'image/png');
    };
    img.src='data:image/svg+xml;charset=utf-8,'+encodeURIComponent(new XMLSerializer().serializeToString(clone));
  });
  $('print').addEventListener('click',function(){window.print();});
  $('again').addEventListener('click',function(){
    last=null;$('result').style.display='none';$('qr').textContent='';$('form').style.display='block';
  });
  apply();
})();
`;

function field(id: string, key: keyof typeof TEXTS, input: string): string {
  return `<label for="${id}" data-t="${key}">${escapeHtml(TEXTS[key][0])}</label>${input}`;
}

function areaFields(prefix: 'from' | 'to', provinces: string): string {
  return [
    `<fieldset><legend data-t="${prefix}">${escapeHtml(TEXTS[prefix][0])}</legend>`,
    field(`${prefix}Province`, 'province', `<select id="${prefix}Province" required>${provinces}</select>`),
    field(
      `${prefix}District`,
      'district',
      `<input id="${prefix}District" inputmode="numeric" pattern="[0-9]{1,3}" maxlength="3" autocomplete="off">`,
    ),
    field(
      `${prefix}Ward`,
      'ward',
      `<input id="${prefix}Ward" inputmode="numeric" pattern="[0-9]{1,5}" maxlength="5" autocomplete="off">`,
    ),
    '</fieldset>',
  ].join('');
}

/** JSON for a `<script type="application/json">` block: `<` escaped so no text closes it. */
const jsonBlock = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');

/** The page's HTML. */
export function declarePage(input: DeclarePageInput): string {
  const n = escapeHtml(input.nonce);
  const provinces =
    `<option value="">${escapeHtml(TEXTS.choose[0])}</option>` +
    input.provinces
      .map(
        (p) => `<option value="${p.code}">${String(p.code).padStart(2, '0')} – ${escapeHtml(p.vi)}</option>`,
      )
      .join('');
  return `<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${escapeHtml(TEXTS.title[0])}</title>
<style nonce="${n}">${STYLE}</style>
</head><body>
<header><h1 data-t="title">${escapeHtml(TEXTS.title[0])}</h1><button type="button" id="lang">English</button></header>
<main>
<form id="form" novalidate>
<p class="note" data-t="intro">${escapeHtml(TEXTS.intro[0])}</p>
<fieldset>
${field('personalId', 'personalId', '<input id="personalId" inputmode="numeric" pattern="[0-9]{12}" maxlength="12" autocomplete="off" required>')}
${field('fullName', 'fullName', '<input id="fullName" maxlength="120" autocomplete="name" required>')}
${field('phone', 'phone', '<input id="phone" type="tel" inputmode="tel" maxlength="20" autocomplete="tel" required>')}
</fieldset>
${areaFields('from', provinces)}
${areaFields('to', provinces)}
<fieldset>
${field('plate', 'plate', '<input id="plate" maxlength="16" autocomplete="off" autocapitalize="characters">')}
${field('purpose', 'purpose', '<input id="purpose" maxlength="200" required>')}
${field('travelDate', 'travelDate', `<input id="travelDate" type="date" min="${input.today}" max="${input.maxDate}" value="${input.today}" required>`)}
</fieldset>
<p class="note" data-t="areaNote">${escapeHtml(TEXTS.areaNote[0])}</p>
<div id="error" class="error" role="alert"></div>
<button id="submit" class="primary" type="submit" data-t="submit">${escapeHtml(TEXTS.submit[0])}</button>
</form>
<section id="result" aria-live="polite">
<div id="pass">
<h2 data-t="passTitle">${escapeHtml(TEXTS.passTitle[0])}</h2>
<div id="qr"></div>
<p class="note" data-t="keep">${escapeHtml(TEXTS.keep[0])}</p>
</div>
<p id="held" class="held" data-t="held">${escapeHtml(TEXTS.held[0])}</p>
<div class="facts">
<div id="validityRow"><b data-t="validity">${escapeHtml(TEXTS.validity[0])}</b>: <span id="validity"></span></div>
<div><b data-t="route">${escapeHtml(TEXTS.route[0])}</b>: <span id="route"></span></div>
<div><b data-t="passId">${escapeHtml(TEXTS.passId[0])}</b>: <span id="passId"></span></div>
</div>
<div class="actions">
<button type="button" id="png" data-t="png">${escapeHtml(TEXTS.png[0])}</button>
<button type="button" id="print" data-t="print">${escapeHtml(TEXTS.print[0])}</button>
<button type="button" id="again" data-t="again">${escapeHtml(TEXTS.again[0])}</button>
</div>
</section>
</main>
<script type="application/json" id="texts">${jsonBlock(TEXTS)}</script>
<script type="application/json" id="provinces">${jsonBlock(input.provinces)}</script>
<script nonce="${n}">${SCRIPT}</script>
</body></html>`;
}
