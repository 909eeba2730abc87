// Decorative behaviour of the demo shop page (search, cart buttons): nothing is for sale.

import { showToast } from './toast.js';

export function initShopPage() {
  const search = document.getElementById('shop-search');
  if (search) {
    search.addEventListener('submit', (event) => {
      event.preventDefault();
      showToast('데모 페이지라 검색은 지원하지 않아요. 궁금한 점은 상담하기로 물어봐 주세요.');
    });
  }
  for (const button of document.querySelectorAll('.product-cart')) {
    button.addEventListener('click', () => {
      showToast('데모 상품이라 장바구니에 담을 수 없어요.');
    });
  }
}
